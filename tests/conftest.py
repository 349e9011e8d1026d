"""Shared engine / CLI fixtures. Keep this free of UI imports (no textual)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tui_dl.engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig

REPO = Path(__file__).resolve().parent.parent

# The test models are tiny: one intra-op thread is faster, and several times faster on a busy 2-core machine.
torch.set_num_threads(1)


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


@pytest.fixture(autouse=True)
def runs_folder(tmp_path, monkeypatch) -> Path:
    """Runs are recorded under the test's tmp_path, never in the working directory."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("TUI_DL_RUNS_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def devices_here(monkeypatch) -> None:
    """The UI's device detection (a child process importing torch) answers at once: a CPU machine."""
    monkeypatch.setattr("tui_dl.ui.devices.detect", lambda: {"devices": ["auto", "cpu"], "auto": "cpu"})


@pytest.fixture(autouse=True)
def one_thread_per_run(monkeypatch) -> None:
    """Runs use one CPU thread (engine.runs.cpu_share), as this process does (see above)."""
    monkeypatch.setenv("TUI_DL_THREADS", "1")


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Tests read English texts whatever the machine's locale; a test that switches language is undone."""
    from tui_dl import i18n

    monkeypatch.setenv("LANGUAGE", "en")
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """The user's config folder (kept settings, themes) is the test's own, never ~/.config."""
    folder = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder / "tui-dl"


@pytest.fixture
def config_factory():
    """`config_factory(dataset=..., epochs=..., lr=...)` -> a small CPU RunConfig."""
    return make_config


@pytest.fixture
def cli(capsys):
    """Run `tui_dl.cli.main.main(argv)` in-process: returns (exit status, stdout, stderr).

    `train` installs signal handlers; they are put back afterwards so pytest keeps its own.
    """
    from tui_dl.cli.main import main

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        out, err = capsys.readouterr()
        return code, out, err

    return run


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


@pytest.fixture
def subprocess_cli(tmp_path):
    """`subprocess_cli(*argv)` runs `python -m tui_dl` in tmp_path."""
    def run(*argv: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return run_cli(*argv, cwd=tmp_path, timeout=timeout, env=env)

    return run


# UI test helpers (plain functions: this file imports no textual) ---------------------------------

SIZE = (120, 40)


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
    await wait_for(pilot, lambda: app.raw is not None)
    await pilot.press("f5")
    await wait_for(pilot, lambda: app.link is not None and len(app.link.session.trainer.history) >= epochs)
    return app.link.session.trainer


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
