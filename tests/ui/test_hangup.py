"""A closed terminal (an SSH drop, `tmux kill-session`) ends the UI process at every moment.

A run in its own process (F5's default) goes on training and a new UI attaches to it; a run of the UI's own
process (`--in-process`) is saved and recorded as interrupted. The UI runs on a real pseudo-terminal under a
session leader, as sshd or tmux runs it; the test closes the master side and checks no UI process is left.
"""

from __future__ import annotations

import json
import time

import pytest

from helpers import cli_env, kill_live_runs
from pty_ui import PtyUI, gone_within
from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.engine.runs.listing import read_metrics, read_summary

GONE_S = 10.0  # the UI must be gone this long after the hang-up (a run's last epoch is saved first)

LONG_RUN = """
[data]
dataset = "spiral"
samples = 2000
[train]
epochs = 100000
device = "cpu"
"""
BIG_MODEL = """
[data]
dataset = "spiral"
samples = 200
[model]
layers = 2
neurons = [1500]
[train]
epochs = 100000
device = "cpu"
"""
SHORT_RUN = """
[data]
dataset = "circle"
samples = 100
[train]
epochs = 3
device = "cpu"
"""


def start(tmp_path, settings: str | None = None, *argv: str) -> PtyUI:
    """`tui-dl [ARGV] [--config FILE]` on a pseudo-terminal, runs recorded in tmp_path/runs."""
    argv = list(argv) or ["ui"]
    if settings is not None:
        (tmp_path / "run.toml").write_text(settings)
        argv += ["--config", str(tmp_path / "run.toml")]
    env = {**cli_env(), "TUI_DL_RUNS_DIR": str(tmp_path / "runs"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return PtyUI(*argv, cwd=tmp_path, env=env)


def wait_for_run_folder(tmp_path, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [f for f in (tmp_path / "runs").glob("*") if (f / "summary.json").is_file()]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no run folder appeared")


def run_record(tmp_path) -> tuple[dict, dict]:
    (folder,) = (tmp_path / "runs").iterdir()
    return json.loads((folder / "summary.json").read_text()), load_checkpoint(folder / "last.pt")


def hang_up_and_check_gone(ui: PtyUI) -> None:
    process = ui.ui
    ui.hang_up()
    assert gone_within(process, GONE_S), f"tui-dl (pid {process.pid}) still alive {GONE_S:g}s after the hang-up"


@pytest.mark.parametrize("after_s", [0.0, 0.4], ids=["at-launch", "during-imports"])
def test_hang_up_while_starting(tmp_path, after_s):
    ui = start(tmp_path)
    try:
        process = ui.ui
        time.sleep(after_s)
        ui.hang_up()
        assert gone_within(process, GONE_S)
    finally:
        ui.kill()


def test_hang_up_at_the_first_frame_while_devices_are_detected(tmp_path):
    ui = start(tmp_path)
    try:
        ui.wait_for("Data (F2)")  # drawn before torch is imported for device detection
        hang_up_and_check_gone(ui)
    finally:
        ui.kill()


def test_hang_up_mid_run_of_this_process_saves_the_run_and_ends(tmp_path):
    ui = start(tmp_path, LONG_RUN, "ui", "--in-process")
    try:
        ui.wait_for("Data (F2)")
        ui.wait_for("detecting device")  # the status line is up
        ui.press("f5")
        ui.wait_for("running")
        time.sleep(1.5)
        hang_up_and_check_gone(ui)
    finally:
        ui.kill()
    summary, last = run_record(tmp_path)
    assert summary["status"] == "interrupted" and summary["message"] == "interrupted by SIGHUP"
    assert last["epoch"] == summary["epochs"] >= 1


def test_hang_up_leaves_a_detached_run_training_and_a_new_ui_attaches_to_it(tmp_path):
    ui = start(tmp_path, LONG_RUN)
    try:
        ui.wait_for("Data (F2)")
        ui.press("f5")
        ui.wait_for("(background)")
        folder = wait_for_run_folder(tmp_path)
        time.sleep(1.0)
        hang_up_and_check_gone(ui)
        before = len(read_metrics(folder))
        time.sleep(2.0)
        assert len(read_metrics(folder)) > before  # still training
        assert read_summary(folder).live_status == "running"
        again = start(tmp_path, None, "attach")
        try:
            again.wait_for(folder.name)
            again.press("f6")  # pause it from the new UI
            deadline = time.monotonic() + 20
            while read_summary(folder).live_status != "paused" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert read_summary(folder).live_status == "paused"
        finally:
            again.kill()
    finally:
        ui.kill()
        kill_live_runs(tmp_path / "runs")


def test_hang_up_during_a_checkpoint_save(tmp_path):
    ui = start(tmp_path, BIG_MODEL)
    try:
        ui.wait_for("Data (F2)")
        ui.press("f5")
        ui.wait_for(" acc ")  # an epoch has finished: there is something to save
        ui.press("ctrl+s")
        ui.wait_for("Save checkpoint")
        ui.press("enter")  # the run's process writes it
        folder = wait_for_run_folder(tmp_path)
        deadline = time.monotonic() + 30
        while not list(folder.glob("*checkpoint.pt*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        hang_up_and_check_gone(ui)  # while it writes, or just after
        while not (folder / "checkpoint.pt").is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert load_checkpoint(folder / "checkpoint.pt")["epoch"] >= 1
        assert read_summary(folder).live_status == "running"  # the run goes on without its UI
    finally:
        ui.kill()
        kill_live_runs(tmp_path / "runs")


def test_hang_up_after_the_run_finished(tmp_path):
    ui = start(tmp_path, SHORT_RUN)
    try:
        ui.wait_for("Data (F2)")
        ui.press("f5")
        ui.wait_for("completed")
        hang_up_and_check_gone(ui)
    finally:
        ui.kill()
    summary, last = run_record(tmp_path)
    assert summary["status"] == "completed" and last["epoch"] == 3
