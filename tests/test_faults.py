"""Faults during training and while saving: out of memory, worker exceptions, kill -9 mid-save."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from conftest import make_config
from tui_dl.engine.checkpoint import load_checkpoint, save_checkpoint
from tui_dl.engine.events import RunFinished
from tui_dl.engine.trainer import Trainer


def failing_after(trainer: Trainer, steps: int, error: BaseException) -> None:
    """Make the model raise `error` on its `steps`-th forward pass in training."""
    model = trainer.model
    calls = {"n": 0}
    original = model.forward

    def forward(x):
        if model.training:
            calls["n"] += 1
            if calls["n"] >= steps:
                raise error
        return original(x)

    model.forward = forward


def test_out_of_memory_suggests_a_smaller_batch_and_keeps_the_last_epoch():
    config = make_config(epochs=50, samples=200)
    config.train.batch_size = 16
    trainer = Trainer(config)
    trainer.setup()
    steps = trainer.steps_per_epoch
    failing_after(trainer, steps * 2 + 3, torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    finished = trainer.run()
    assert finished.status == "failed"
    assert "out of memory" in finished.message and "smaller batch size" in finished.message
    assert "batch size 16" in finished.message
    assert trainer.checkpoint_state()["epoch"] == 2


def test_an_exception_in_the_loop_is_reported_not_raised():
    trainer = Trainer(make_config(epochs=5))
    trainer.setup()
    failing_after(trainer, 2, RuntimeError("boom inside the model"))
    events = []
    trainer.subscribe(events.append)
    finished = trainer.run()
    assert finished.status == "failed"
    assert finished.message == "training failed: RuntimeError: boom inside the model"
    assert isinstance(events[-1], RunFinished)
    assert "Traceback" in trainer.error_traceback


def test_batch_larger_than_the_data_set_is_one_full_batch_with_a_notice():
    config = make_config(samples=100, epochs=2)
    config.train.batch_size = 1_000_000
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed"
    assert trainer.steps_per_epoch == 1
    assert any("larger than the 80 training samples" in n for n in trainer.notices)


SAVER = textwrap.dedent("""
    import sys, torch
    from tui_dl.engine.checkpoint import load_checkpoint, save_checkpoint
    state = load_checkpoint(sys.argv[1])
    state["ballast"] = torch.randn(8_000_000)  # ~32 MB: each write takes a while
    state["writes"] = 0
    print("ready", flush=True)
    while True:
        state["writes"] += 1
        save_checkpoint(state, sys.argv[1])
""")


@pytest.mark.slow
def test_kill_9_while_saving_leaves_the_previous_checkpoint_loadable(tmp_path):
    trainer = Trainer(make_config(epochs=2))
    trainer.run()
    path = save_checkpoint(trainer.checkpoint_state(), tmp_path / "run.ckpt")
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        for delay in (0.3, 0.45, 0.7):
            time.sleep(delay)
            state = load_checkpoint(path)  # complete at any moment, whatever the writer is doing
            assert state["epoch"] == 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    state = load_checkpoint(path)
    assert state["writes"] >= 1 and state["epoch"] == 2 and len(state["history"]) == 2
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["run.ckpt"]
    resumed = Trainer(make_config(epochs=4), resume=state)
    assert resumed.run().status == "completed"
    assert [m.epoch for m in resumed.history] == [1, 2, 3, 4]
