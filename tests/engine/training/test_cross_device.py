"""A checkpoint of a run trained on a GPU, used on a machine (or a device) without one.

A CUDA generator's state is 16 bytes (its seed and offset), a CPU generator's 5,056: the batch order's state
is restored only on a device of the kind that saved it; elsewhere it is seeded afresh, and the run says so.
The checkpoints here are made on the CPU and given the state a CUDA run saves, as a GPU run would write them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_dl.engine.training.checkpoint import checkpoint_config, load_checkpoint, save_checkpoint
from tui_dl.engine.training.trainer import Trainer

CUDA_GENERATOR_STATE = torch.tensor(list((1234).to_bytes(8, "little") + (64).to_bytes(8, "little")),
                                    dtype=torch.uint8)  # what torch.Generator("cuda").get_state() holds


def as_if_from_a_gpu(state: dict, recorded: bool) -> dict:
    """`state` as a CUDA run writes it: its generators' states in CUDA's format (`recorded`: the newer
    checkpoints also say which device type the batch order's generator had; older ones do not)."""
    rng = dict(state["rng"], generator=CUDA_GENERATOR_STATE.clone(), cuda=CUDA_GENERATOR_STATE.clone())
    gpu = dict(state, rng=rng)
    gpu.pop("generator_device", None)
    if recorded:
        gpu["generator_device"] = "cuda"
    return gpu


@pytest.fixture(params=[True, False], ids=["recorded", "older"])
def gpu_checkpoint(request, tmp_path, config_factory) -> Path:
    trainer = Trainer(config_factory("circle", samples=80, epochs=2))
    trainer.run()
    return save_checkpoint(as_if_from_a_gpu(trainer.checkpoint_state(), request.param), tmp_path / "gpu.pt")


def test_a_cpu_run_records_its_generator_s_device(config_factory):
    trainer = Trainer(config_factory("circle", samples=80, epochs=1))
    trainer.run()
    assert trainer.checkpoint_state()["generator_device"] == "cpu"


def test_a_gpu_checkpoint_resumes_on_the_cpu_and_says_the_batch_order_is_seeded_afresh(gpu_checkpoint,
                                                                                       config_factory):
    state = load_checkpoint(gpu_checkpoint)
    trainer = Trainer(config_factory("circle", samples=80, epochs=4), resume=state)
    finished = trainer.run()
    assert finished.status == "completed" and trainer.epoch == 4, finished.message
    said = [n for n in trainer.notices if "batch order" in n]
    assert said == ["the batch order is seeded afresh: the checkpoint's comes from a cuda device, this run trains "
                    "on cpu"]


def test_a_gpu_checkpoint_is_inspected_on_the_cpu(gpu_checkpoint):
    # As the UI's inspector draws a finished run's views: the checkpoint's trainer rebuilt on the CPU.
    state = load_checkpoint(gpu_checkpoint)
    config = checkpoint_config(state)
    config.train.device = "cpu"
    trainer = Trainer(config, resume=state)
    trainer.setup()
    trainer.probe_size = (20, 10)
    assert set(trainer.insights(frozenset({"boundary", "confusion"}))) == {"boundary", "confusion"}


def test_a_gpu_checkpoint_resumes_predicts_and_exports_from_the_command_line(gpu_checkpoint, tmp_path, cli):
    new_rows = tmp_path / "rows.csv"
    new_rows.write_text("x1,x2\n0.5,0.5\n-2,1\n")
    code, out, err = cli("train", "--resume", str(gpu_checkpoint), "--epochs", "3", "--device", "cpu",
                         "--save", str(tmp_path / "more.pt"))
    assert code == 0, err
    assert "batch order is seeded afresh" in out and load_checkpoint(tmp_path / "more.pt")["epoch"] == 3
    code, _out, err = cli("predict", str(gpu_checkpoint), "--input", str(new_rows), "--output",
                          str(tmp_path / "out.csv"))
    assert code == 0 and (tmp_path / "out.csv").read_text().count("\n") == 3, err
    code, _out, err = cli("export-model", str(gpu_checkpoint), "--onnx", str(tmp_path / "m.onnx"), "--script",
                          str(tmp_path / "m.py"))
    assert code == 0 and (tmp_path / "m.onnx").is_file() and (tmp_path / "m.py").is_file(), err
