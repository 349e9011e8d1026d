"""Helpers the tests share (plain functions and constants; the fixtures are in the conftest.py files).

Importable from every test folder (`pythonpath` in pyproject.toml). Imports no Textual.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tui_dl.engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig

REPO = Path(__file__).resolve().parent.parent


def make_config(dataset: str = "circle", samples: int = 120, epochs: int = 3, *, noise: float = 0.1,
                layers: int = 1, neurons: list[int] | None = None, activation: str = "relu", dropout: float = 0.0,
                **train) -> RunConfig:
    """A small, CPU-only run config; extra keyword arguments go to TrainConfig."""
    train.setdefault("device", "cpu")
    return RunConfig(
        DataConfig(dataset=dataset, samples=samples, noise=noise),
        ModelConfig(layers=layers, neurons=list(neurons or [16]), activation=activation, dropout=dropout),
        TrainConfig(epochs=epochs, **train),
    )


def cli_env() -> dict[str, str]:
    """Environment for `python -m tui_dl` subprocesses: the package importable, one torch thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONWARNINGS", None)
    env["OMP_NUM_THREADS"] = env["TUI_DL_THREADS"] = "1"  # as in this process (see above)
    return env


def run_cli(*argv: str, cwd: Path, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m tui_dl ARGV` in a subprocess and capture its text output."""
    return subprocess.run([sys.executable, "-m", "tui_dl", *argv], cwd=cwd, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout)


# UI test helpers (plain functions: this file imports no textual) ---------------------------------

SIZE = (120, 40)
STILL_TRAINING = 1_000_000  # epochs of a run still training when its test stops it (2,000 can end first)


def small_config(epochs: int = 5, samples: int = 200) -> RunConfig:
    """The default run on a small spiral, for the app."""
    config = RunConfig()
    config.data.samples = samples
    config.train.epochs = epochs
    return config


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    """Let the app run until `condition()` holds (fails the test after `timeout` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail("condition not reached in time")
        await pilot.pause(0.05)


def lasting_toasts(app, seconds: float = 600.0):
    """`app`'s toasts stay `seconds` instead of Textual's 5: those are wall-clock seconds, which a busy machine
    can spend before a snapshot is taken, so a picture with a toast would sometimes lack it. Returns `app`."""
    app.NOTIFICATION_TIMEOUT = seconds
    return app


def stop_blinking(app) -> None:
    """`app`'s text fields stop blinking (a focused one shows its cursor steadily): a snapshot no longer catches
    whichever half-second of the blink it lands in. Call it once the fields of the picture exist."""
    for field in app.query("Input"):
        field.cursor_blink = False


async def set_field(pilot, field_id: str, value: str) -> None:
    """Put `value` into the text field `field_id`, as typing would."""
    pilot.app.query_one(f"#{field_id}").value = value
    await pilot.pause()


async def start_training(pilot, epochs: int = 1):
    """Once the data set has loaded, press F5 and wait for `epochs` finished epochs; return the trainer."""
    app = pilot.app
    await wait_for(pilot, lambda: app.shown.raw is not None)
    await pilot.press("f5")
    await wait_for(pilot, lambda: app.shown.link is not None and len(app.shown.link.session.trainer.history) >= epochs)
    return app.shown.link.session.trainer


def kill_live_runs(root: Path) -> None:
    """Kill every run process still live under runs folder `root` (cleanup after a test of detached runs)."""
    from tui_dl.engine.runs.listing import read_summary
    from tui_dl.engine.runs.recorder import RunError

    for folder in root.glob("*"):
        try:
            summary = read_summary(folder)
        except RunError:
            continue
        if summary.live and summary.pid:
            try:
                os.kill(summary.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# data files ----------------------------------------------------------------------------------

def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(">u1" if type_code == 0x08 else array.dtype.newbyteorder(">")).tobytes()


def write_mnist_pair(folder: Path, n: int = 30, prefix: str = "train", gz: bool = False) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    image_bytes, label_bytes = idx_bytes(images), idx_bytes(labels)
    assert image_bytes[:4] == (0x00000803).to_bytes(4, "big")
    assert label_bytes[:4] == (0x00000801).to_bytes(4, "big")
    suffix = ".gz" if gz else ""
    image_path = folder / f"{prefix}-images-idx3-ubyte{suffix}"
    label_path = folder / f"{prefix}-labels-idx1-ubyte{suffix}"
    image_path.write_bytes(gzip.compress(image_bytes) if gz else image_bytes)
    label_path.write_bytes(gzip.compress(label_bytes) if gz else label_bytes)
    return image_path, label_path
