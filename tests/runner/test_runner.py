"""Detached runs: a real run process, its lock, its control socket, the CLI verbs, and hostile clients."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers import REPO, cli_env, make_config
from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.engine.events import EpochEnded, LrChanged, RunFinished, StateChanged, StepMetrics
from tui_dl.engine.runs.listing import read_metrics, read_summary
from tui_dl.engine.runs.recorder import STEPS
from tui_dl.runner.client import RunClient, RunGone, history
from tui_dl.runner.launch import launch, wait_started
from tui_dl.runner.protocol import socket_path

TIMEOUT = 60


def long_config(**train):
    config = make_config("spiral", samples=2000, epochs=100_000, **train)
    return config


def until(condition, timeout: float = TIMEOUT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:g}s")
        time.sleep(0.05)


@pytest.fixture
def live_run(runs_folder):
    """A detached spiral run, training; killed at the end of the test if it still runs."""
    launched = launch(long_config(), runs_folder)
    wait_started(launched)
    launched.client.close()
    until(lambda: len(read_metrics(launched.folder)) >= 2, what="two epochs")
    yield launched
    if launched.process.poll() is None:
        launched.process.kill()
        launched.process.wait()


def state(folder: Path) -> str:
    return read_summary(folder).live_status


def test_a_detached_run_is_controlled_from_the_command_line(live_run, cli):
    folder, name = live_run.folder, live_run.folder.name
    listed = [json.loads(line) for line in cli("runs", "--json")[1].splitlines()]
    assert [(r["name"], r["state"]) for r in listed] == [(name, "running")]
    assert read_summary(folder).pid == live_run.process.pid  # the run process's, not the launcher's
    assert cli("pause", name[:12])[0] == 0  # a unique prefix names it
    until(lambda: state(folder) == "paused", what="paused")
    held = len(read_metrics(folder))
    time.sleep(0.5)
    assert len(read_metrics(folder)) == held
    assert cli("set-lr", name, "0.003") == (0, "", f"{name}: learning rate set to 0.003\n")
    assert cli("resume", name)[0] == 0
    until(lambda: len(read_metrics(folder)) > held + 1, what="training again")
    assert read_metrics(folder)[-1]["lr"] == 0.003
    code, _, err = cli("set-lr", name, "500")
    assert code == 2 and "learning rate must be > 0 and at most 100" in err
    assert cli("stop", name)[0] == 0
    assert live_run.process.wait(TIMEOUT) == 0
    summary = read_summary(folder)
    assert summary.live_status == "stopped" and summary.epochs == len(read_metrics(folder))
    assert load_checkpoint(folder / "last.pt")["epoch"] == summary.epochs
    assert not socket_path(folder).exists()  # the socket goes with its process
    code, _, err = cli("pause", name)
    assert code == 2 and "is not running" in err


def test_a_paused_detached_run_trains_one_batch_per_step_from_the_command_line(live_run, cli):
    folder, name = live_run.folder, live_run.folder.name
    code, _, err = cli("step", name)
    assert code == 2 and "one batch at a time is for a paused run: pause it first" in err
    assert cli("pause", name)[0] == 0
    until(lambda: state(folder) == "paused", what="paused")
    client = RunClient(folder)
    client.start_reading()
    try:
        steps = lambda: [e for _, e in list(client.events) if isinstance(e, StepMetrics)]  # noqa: E731
        assert cli("step", name) == (0, "", f"{name}: trains one batch, then stays paused\n")
        until(lambda: len(steps()) == 1, what="the step's loss")
        assert cli("step", name)[0] == 0
        until(lambda: len(steps()) == 2, what="the second step's loss")
        first, second = steps()
        assert len(first.losses) == len(second.losses) == 1 and second.first_step == first.first_step + 1
        assert state(folder) == "paused"
    finally:
        client.close()
    assert cli("stop", name)[0] == 0


def test_attaching_draws_the_files_then_follows_live_with_no_gap_and_no_duplicate(live_run):
    client = RunClient(live_run.folder)
    started = history(live_run.folder, client.snapshot)
    client.start_reading()
    until(lambda: sum(isinstance(e, EpochEnded) for _, e in client.events) >= 3, what="live epochs")
    client.command("stop")
    live_run.process.wait(TIMEOUT)
    until(lambda: client.closed.is_set(), what="the end of the stream")
    events = [e for _, e in client.events]
    seqs = [seq for seq, _ in client.events]
    assert seqs == list(range(client.snapshot.seq + 1, client.snapshot.seq + 1 + len(seqs)))
    epochs = [m.epoch for m in started.history] + [e.metrics.epoch for e in events if isinstance(e, EpochEnded)]
    assert epochs == [r["epoch"] for r in read_metrics(live_run.folder)] == list(range(1, len(epochs) + 1))
    steps = len(started.step_losses) + sum(len(e.losses) for e in events if isinstance(e, StepMetrics))
    assert steps == len(Path(live_run.folder, STEPS).read_bytes()) // 4
    assert isinstance(events[-1], RunFinished) and events[-1].status == "stopped"


def test_a_resumed_run_with_a_history_longer_than_a_protocol_line_starts_and_shows_it(cli, runs_folder, tmp_path):
    import numpy as np
    import torch

    from tui_dl.engine.training.checkpoint import checkpoint_config, save_checkpoint
    from tui_dl.runner.protocol import MAX_LINE

    assert cli("train", "--dataset", "circle", "--samples", "100", "--epochs", "1", "--run-name", "seed")[0] == 0
    state = load_checkpoint(runs_folder / "seed" / "last.pt")
    epochs, steps = 2_000, 400_000  # 1.6 MB of step losses alone: more than MAX_LINE in one message
    assert steps * 4 > MAX_LINE
    state["history"] = [{**state["history"][0], "epoch": e, "step": e * 200} for e in range(1, epochs + 1)]
    state["step_losses"] = torch.from_numpy(np.linspace(1.0, 0.01, steps, dtype=np.float32))
    state["epoch"], state["step"] = epochs, steps
    state["config"]["train"]["epochs"] = epochs + 2
    save_checkpoint(state, tmp_path / "long.pt")

    launched = launch(checkpoint_config(state), runs_folder, name="long", resume=tmp_path / "long.pt")
    try:
        started = wait_started(launched)
        assert [m.epoch for m in started.history] == list(range(1, epochs + 1))
        assert len(started.step_losses) == steps and started.step_losses[-1] == np.float32(0.01)
        launched.process.wait(TIMEOUT)
        assert read_summary(launched.folder).status == "completed"
    finally:
        launched.client.close()
        if launched.process.poll() is None:
            launched.process.kill()


def test_two_clients_see_each_others_commands(live_run):
    first, second = RunClient(live_run.folder), RunClient(live_run.folder)
    second.start_reading()
    assert first.session != second.session
    first.command("set_lr", lr=0.002)
    first.command("pause")
    until(lambda: any(isinstance(e, StateChanged) for _, e in second.events), what="the pause seen")
    changes = [e for _, e in second.events if isinstance(e, (LrChanged, StateChanged))]
    assert [(type(e).__name__, e.source) for e in changes] == [("LrChanged", first.session),
                                                                ("StateChanged", first.session)]
    assert changes[0].lr == 0.002 and changes[1].state == "paused"
    first.close()
    second.close()


def test_kill_9_leaves_a_crashed_run_that_can_be_continued(live_run, cli, runs_folder):
    folder = live_run.folder
    until(lambda: (folder / "best.pt").is_file(), what="a checkpoint")
    os.kill(live_run.process.pid, signal.SIGKILL)
    live_run.process.wait()
    assert state(folder) == "crashed"
    assert socket_path(folder).exists()  # stale: its process is gone
    with pytest.raises(RunGone, match="is not running"):
        RunClient(folder)
    listed = {json.loads(line)["name"]: json.loads(line) for line in cli("runs", "--json")[1].splitlines()}
    assert listed[folder.name]["state"] == "crashed"
    code, out, err = cli("train", "--resume", str(folder / "best.pt"), "--epochs",
                         str(load_checkpoint(folder / "best.pt")["epoch"] + 1), "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["status"] == "completed"


def test_a_second_process_for_the_same_folder_refuses_and_leaves_the_run_alone(live_run):
    second = subprocess.run([sys.executable, "-m", "tui_dl.runner.process", str(live_run.folder)], env=cli_env(),
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert second.returncode == 3 and "already running in another process" in second.stderr
    held = len(read_metrics(live_run.folder))
    until(lambda: len(read_metrics(live_run.folder)) > held, what="still training")
    assert RunClient(live_run.folder).snapshot.status == "running"


def test_hostile_clients_are_dropped_and_the_run_goes_on(live_run):
    path = str(socket_path(live_run.folder))
    watcher = RunClient(live_run.folder)
    watcher.start_reading()

    def raw() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return sock

    garbage = raw()
    garbage.sendall(b"\x00\xff not json\n" * 50 + b"[1, 2]\n" + b'{"cmd": "stop"}\n')  # no hello: never obeyed
    huge = raw()
    huge.settimeout(10)
    try:
        huge.sendall(b"x" * (10 << 20))
    except OSError:
        pass  # dropped while sending: fine
    half = raw()
    half.sendall(b'{"hello": 1, "wat')  # and then silence
    for _ in range(200):
        raw().close()
    until(lambda: dropped(garbage) and dropped(huge), what="the bad clients dropped")
    epochs_before = len(read_metrics(live_run.folder))
    until(lambda: len(read_metrics(live_run.folder)) > epochs_before + 2, what="training on")
    assert state(live_run.folder) == "running"
    seqs = [seq for seq, _ in watcher.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # the good client lost nothing
    for sock in (garbage, huge, half):
        sock.close()
    watcher.close()


def test_a_command_before_hello_is_refused_and_the_run_goes_on(live_run):
    """A well-formed command from a client that never said hello gets the protocol's error, and is not obeyed."""
    folder = live_run.folder
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect(str(socket_path(folder)))
    try:
        sock.sendall(b'{"cmd": "stop"}\n')
        with sock.makefile("rb") as replies:
            assert json.loads(replies.readline()) == {"error": "say hello first"}
        held = len(read_metrics(folder))
        until(lambda: len(read_metrics(folder)) > held + 1, what="training on")
        assert state(folder) == "running" and live_run.process.poll() is None
    finally:
        sock.close()
    owner = RunClient(folder, watch=False)  # who says hello is obeyed
    try:
        assert owner.snapshot.status == "running"
        owner.command("stop")
    finally:
        owner.close()
    assert live_run.process.wait(TIMEOUT) == 0 and state(folder) == "stopped"


def dropped(sock: socket.socket) -> bool:
    """Whether the server closed this connection (reading what it sent before, error replies)."""
    sock.setblocking(False)
    try:
        while chunk := sock.recv(1 << 16):
            del chunk
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    return True


SYSTEM_PYTHON = "/usr/bin/python3"  # one the other user may run (this venv may sit in root's home)


@pytest.mark.skipif(os.getuid() != 0 or not os.access(SYSTEM_PYTHON, os.X_OK),
                    reason="needs root, and a system python, to run a client as another user")
def test_another_user_can_neither_watch_nor_control_a_run():
    probe = ("import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX)\n"
             "try:\n"
             "    s.connect(sys.argv[1]); s.sendall(b'{\"hello\": 1}\\n{\"cmd\": \"stop\", \"id\": 1}\\n')\n"
             "    print('read', s.recv(4096))\n"
             "except OSError as e:\n"
             "    print('refused', e.errno)\n")
    shared = Path(tempfile.mkdtemp(prefix="tui-dl-users-", dir="/tmp"))  # a place the other user can reach
    os.chmod(shared, 0o755)
    launched = launch(long_config(), shared / "runs")
    try:
        wait_started(launched)
        path = str(socket_path(launched.folder))

        def as_nobody() -> str:
            done = subprocess.run([SYSTEM_PYTHON, "-c", probe, path], user=65534, capture_output=True, text=True,
                                  timeout=TIMEOUT, cwd="/")
            return done.stdout.strip() + done.stderr

        assert as_nobody() == f"refused {errno.EACCES}"  # the run folder is 0700
        os.chmod(launched.folder, 0o755)  # even with the folder and socket open to all, the server checks who it is
        os.chmod(path, 0o777)
        assert as_nobody() in ("read b''", f"refused {errno.ECONNRESET}", f"refused {errno.EPIPE}")
        assert state(launched.folder) == "running" and launched.client.snapshot is not None
        launched.client.command("stop")
        launched.process.wait(TIMEOUT)
        assert state(launched.folder) == "stopped"  # by its owner, not by the other user
    finally:
        launched.client.close()
        if launched.process.poll() is None:
            launched.process.kill()
        shutil.rmtree(shared, ignore_errors=True)


def test_a_run_folder_too_deep_for_a_socket_path_uses_a_short_private_one(runs_folder):
    deep = runs_folder / ("d" * 60) / ("e" * 60)
    launched = launch(make_config("circle", samples=100, epochs=100_000), deep)
    try:
        wait_started(launched)
        path = socket_path(launched.folder)
        assert not str(path).startswith(str(deep)) and len(str(path)) <= 107
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
        launched.client.command("stop")
        assert launched.process.wait(TIMEOUT) == 0
    finally:
        launched.client.close()
        if launched.process.poll() is None:
            launched.process.kill()


@pytest.mark.parametrize("settings, status", [({"epochs": 2}, "completed"),
                                              ({"epochs": 5, "optimizer": "sgd", "lr": 100.0}, "diverged")])
def test_a_run_ending_with_no_ui_attached_leaves_the_usual_folder(runs_folder, settings, status):
    config = make_config("plane" if status == "diverged" else "circle", samples=100, **settings)
    launched = launch(config, runs_folder)
    launched.client.close()
    launched.process.wait(TIMEOUT)
    summary = read_summary(launched.folder)
    assert summary.live_status == status
    files = {p.name for p in launched.folder.iterdir()}
    assert {"config.toml", "metrics.jsonl", "steps.f32", "summary.json", "run.log"} <= files
    assert ("last.pt" in files) == (status == "completed")


def test_a_run_that_cannot_start_says_why_and_leaves_nothing(runs_folder):
    config = make_config("circle", samples=100)
    config.data.dataset = str(runs_folder / "missing.csv")
    with pytest.raises(Exception, match="unknown data set|missing.csv"):
        wait_started(launch(config, runs_folder))
    until(lambda: not any(runs_folder.iterdir()), what="the folder removed")


def test_train_detach_prints_how_to_come_back(tmp_path, runs_folder):
    done = subprocess.run([sys.executable, "-m", "tui_dl", "train", "--detach", "--dataset", "circle", "--samples",
                           "100", "--epochs", "100000", "--device", "cpu", "--run-name", "bg"], cwd=tmp_path,
                          env={**cli_env(), "TUI_DL_RUNS_DIR": str(runs_folder)}, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert "bg: training in the background" in done.stdout and "tui-dl attach bg" in done.stdout
    folder = runs_folder / "bg"
    pid = read_summary(folder).pid
    try:
        until(lambda: len(read_metrics(folder)) >= 1, what="an epoch")
        stopped = subprocess.run([sys.executable, "-m", "tui_dl", "stop", "bg"], cwd=tmp_path,
                                 env={**cli_env(), "TUI_DL_RUNS_DIR": str(runs_folder)}, capture_output=True,
                                 text=True, timeout=TIMEOUT)
        assert stopped.returncode == 0, stopped.stderr
        until(lambda: state(folder) == "stopped", what="stopped")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_the_run_process_imports_nothing_of_the_ui():
    code = ("import sys, tui_dl.runner.process, tui_dl.runner.server, tui_dl.runner.launch\n"
            "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules)\n")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), timeout=TIMEOUT).returncode == 0
