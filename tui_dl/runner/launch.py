"""Starting a detached run: its folder, then its own process (a fresh interpreter, never a fork), then a client.

The process is spawned with `start_new_session=True` (no SIGHUP from the launcher's terminal), stdin from
/dev/null and its output in the run folder's `run.log`; it waits for the launcher's client before it sets
up, so the launcher sees the run start, or why it failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tui_dl.engine.config import RunConfig, dump_toml
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import status_label
from tui_dl.engine.runs.recorder import CONFIG, default_run_name, unique_folder
from tui_dl.i18n import _
from tui_dl.runner.client import RunClient, RunGone
from tui_dl.runner.process import LAUNCH, LOG

CONNECT_WAIT_S = 30.0  # how long the launcher waits for the new process's socket (it imports torch first)
LOST_GRACE_S = 5.0  # how long a process whose connection closed before the start has to end


@dataclass
class Launched:
    folder: Path
    process: subprocess.Popen
    client: RunClient


def launch(config: RunConfig, runs_root: Path, *, name: str | None = None, resume: Path | None = None,
           resumed_from: str = "", watch: bool = True) -> Launched:
    """Make the run folder (0700), start its process, and connect to it (UserError when it cannot start)."""
    runs_root = Path(runs_root).expanduser().resolve()
    folder = unique_folder(runs_root, name or default_run_name(config.data.dataset))
    os.chmod(folder, 0o700)  # only its owner may read the run or reach its socket
    (folder / CONFIG).write_text(dump_toml(config), encoding="utf-8")
    request = {"runs_root": str(runs_root), "resume": str(resume) if resume else None,
               "resumed_from": resumed_from, "await_launcher": True}
    (folder / LAUNCH).write_text(json.dumps(request, indent=1), encoding="utf-8")
    with open(folder / LOG, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "tui_dl.runner.process", str(folder)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                   close_fds=True, env=_child_env())
    try:
        client = _connect(folder, process, watch)
    except UserError:
        _remove_unstarted(folder)
        raise
    return Launched(folder, process, client)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _connect(folder: Path, process: subprocess.Popen, watch: bool) -> RunClient:
    deadline = time.monotonic() + CONNECT_WAIT_S
    while True:
        try:
            return RunClient(folder, watch=watch)
        except RunGone:
            if process.poll() is not None:
                raise UserError(_("the run could not start: {reason}").format(
                                    reason=_last_error(folder))) from None
            if time.monotonic() > deadline:
                process.kill()
                raise UserError(_("the run's process did not answer within {seconds:g}s (see {folder})").format(
                                    seconds=CONNECT_WAIT_S, folder=folder / LOG)) from None
            time.sleep(0.05)


def _last_error(folder: Path) -> str:
    try:
        lines = [line for line in (folder / LOG).read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return _("its process ended at once")
    prefix = _("error: {message}").format(message="")  # the run's process speaks the same language
    errors = [line for line in lines if line.startswith(prefix)]
    return (errors or lines or [_("its process ended at once")])[-1].removeprefix(prefix)


def _remove_unstarted(folder: Path) -> None:
    """A run that never started leaves nothing behind."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def wait_started(launched: Launched):
    """Read the new run's events until it has started (its RunStarted) or failed (UserError with the reason)."""
    from tui_dl.engine.events import RunFinished, RunStarted

    client = launched.client
    if client.snapshot.started is not None:
        return client.snapshot.started
    client.start_reading()
    while True:
        while client.events:
            _seq, event = client.events.popleft()
            if isinstance(event, RunStarted):
                return event
            if isinstance(event, RunFinished):
                launched.process.wait()
                raise UserError(event.message or _("the run {status}").format(status=status_label(event.status)))
        if client.closed.is_set() and not client.events:
            raise UserError(_lost(launched))
        time.sleep(0.02)


def _lost(launched: Launched) -> str:
    """Why the connection closed before the run started: its process failed (its log's last error), or, when it
    still runs, that it goes on without this client."""
    try:
        launched.process.wait(LOST_GRACE_S)
    except subprocess.TimeoutExpired:
        return _("the connection to {run} closed before it started, but its process runs on: see tui-dl runs "
                 "and {log}").format(run=launched.folder.name, log=launched.folder / LOG)
    return _("the run could not start: {reason}").format(reason=_last_error(launched.folder))
