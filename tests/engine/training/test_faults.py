"""Faults during training and while saving: out of memory, worker exceptions, kill -9 mid-save."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from helpers import make_config
from tui_dl.engine.training.checkpoint import load_checkpoint, save_checkpoint
from tui_dl.engine.events import RunFinished
from tui_dl.engine.training.trainer import Trainer


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


def test_out_of_memory_is_reported_with_a_torch_that_has_only_cuda_s_error(monkeypatch):
    # torch.OutOfMemoryError is newer than the oldest torch pyproject.toml allows; CUDA's error is older.
    monkeypatch.delattr(torch, "OutOfMemoryError")
    trainer = Trainer(make_config(epochs=5, samples=200))
    trainer.setup()
    failing_after(trainer, trainer.steps_per_epoch + 1, torch.cuda.OutOfMemoryError("CUDA out of memory."))
    finished = trainer.run()
    assert finished.status == "failed" and "out of memory" in finished.message
    assert trainer.checkpoint_state()["epoch"] == 1


def test_a_device_error_while_releasing_its_memory_still_ends_the_run_with_its_event(monkeypatch):
    # A sticky CUDA error surfaces again at empty_cache(): the run still ends with RunFinished, saying so.
    trainer = Trainer(make_config(epochs=2, samples=100))
    trainer.setup()
    events = []
    trainer.subscribe(events.append)
    loop = trainer._loop

    def on_a_gpu():
        outcome = loop()
        trainer.device = torch.device("cuda", 0)  # the run's device, as the finally block sees it
        return outcome

    def sticky():
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(trainer, "_loop", on_a_gpu)
    monkeypatch.setattr(torch.cuda, "empty_cache", sticky)
    finished = trainer.run()
    assert [e for e in events if isinstance(e, RunFinished)] == [finished]
    assert finished.status == "failed" and trainer.epoch == 2
    assert finished.message == ("releasing cuda:0's memory failed: RuntimeError: CUDA error: an illegal memory "
                                "access was encountered")


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
    from tui_dl.engine.training.checkpoint import load_checkpoint, save_checkpoint
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


def temps(folder, name: str = "run.ckpt") -> list:
    return sorted(p.name for p in folder.glob(f".{name}.*.tmp"))


@pytest.mark.slow
def test_the_next_save_removes_the_temp_file_a_kill_9_left(tmp_path):
    trainer = Trainer(make_config(epochs=1))
    trainer.run()
    path = save_checkpoint(trainer.checkpoint_state(), tmp_path / "run.ckpt")
    for _ in range(5):  # killed between two writes (rare), the saver leaves nothing: kill another one
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 30
            while not temps(tmp_path) and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if temps(tmp_path):
            break
    left = temps(tmp_path)
    assert left and all(f".run.ckpt.{proc.pid}." in name for name in left)  # named by its dead writer
    save_checkpoint(trainer.checkpoint_state(), path)
    assert temps(tmp_path) == []
    assert load_checkpoint(path)["epoch"] == 1


def test_temp_files_of_live_writers_and_other_targets_are_kept(tmp_path):
    trainer = Trainer(make_config(epochs=1))
    trainer.run()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        kept = [f".run.ckpt.{os.getpid()}.abcd1234.tmp", f".run.ckpt.{other.pid}.efgh5678.tmp",
                ".run.ckpt.fresh123.tmp", ".run.ckpt.extra.abcd1234.tmp", ".other.ckpt.1.abcd1234.tmp"]
        removed = [f".run.ckpt.{dead.pid}.dead1234.tmp", ".run.ckpt.old12345.tmp"]
        for name in kept + removed:
            (tmp_path / name).write_bytes(b"partial")
        an_hour_ago = time.time() - 3600
        os.utime(tmp_path / ".run.ckpt.old12345.tmp", (an_hour_ago, an_hour_ago))  # an older tui-dl's, untouched
        save_checkpoint(trainer.checkpoint_state(), tmp_path / "run.ckpt")
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == sorted(kept)
    finally:
        other.kill()
        other.wait()
