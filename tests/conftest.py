"""Fixtures for every test: runs, settings and languages kept in the test's own folders, one CPU thread,
the CLI in-process and in a subprocess. Plain helpers are in helpers.py. Imports no Textual."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from helpers import make_config, run_cli

# The test models are tiny: one intra-op thread is faster, and several times faster on a busy 2-core machine.
torch.set_num_threads(1)


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


def cpu_time_but_training() -> float:
    """This process's CPU time less that of its runs' training threads ("tui-dl training", see ui/run_link.py)."""
    spent = time.process_time()
    for thread in threading.enumerate():
        if thread.name == "tui-dl training" and thread.ident is not None:
            try:
                spent -= time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except OSError:  # it has just ended: its time stays counted, which only waits longer
                pass
    return spent


@pytest.fixture(autouse=True)
def idle_while_training(monkeypatch) -> None:
    """Textual's pilot waits after each key press (and in `pause()`) until this process is idle, for at most 1 s.
    A run training in this process (a LocalRun's thread) keeps it busy, so every key cost up to 2 s of waiting:
    the run's thread is left out of that measure, as a run in its own process (detached) always was. Only where
    the platform can read a thread's CPU time, and only once a test module has imported Textual."""
    wait = sys.modules.get("textual._wait")
    if wait is not None and hasattr(time, "pthread_getcpuclockid"):
        monkeypatch.setattr(wait, "process_time", cpu_time_but_training)


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


@pytest.fixture
def subprocess_cli(tmp_path):
    """`subprocess_cli(*argv)` runs `python -m tui_dl` in tmp_path."""
    def run(*argv: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return run_cli(*argv, cwd=tmp_path, timeout=timeout, env=env)

    return run
