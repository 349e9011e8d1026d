"""A detached run's process: `python -m tui_dl.runner.process RUN_FOLDER`, started by `launch`.

It holds the run folder's lock for its whole life (a second process for the same folder refuses to start),
serves the control socket, ignores SIGHUP (a closed SSH session is not its business), ends the run cleanly on
SIGTERM / SIGINT (last.pt written, recorded as interrupted), and exits when the run ends, so a finished run
holds no GPU memory. A run that fails before its first epoch removes its folder: there is nothing to keep.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
from pathlib import Path

from tui_dl.engine.events import RunStarted, RunStatus, status_label
from tui_dl.i18n import _, set_language

LAUNCH = "launch.json"  # what the launcher asks for: runs folder, resume checkpoint, ...
LOG = "run.log"  # the process's output
EXIT_BUSY = 3  # another process runs this folder
AWAIT_LAUNCHER_S = 15.0  # how long the run waits for its launcher to connect before it sets up


def main(argv: list[str]) -> int:
    set_language()  # the starter's: it passed LANGUAGE down
    folder = Path(argv[0]).resolve()
    from tui_dl.engine.runs.lock import RunLock

    lock = RunLock(folder)
    if not lock.acquire():
        print(_("{name} is already running in another process").format(name=folder.name), file=sys.stderr)
        return EXIT_BUSY
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        return _run(folder)
    finally:
        lock.release()


def _run(folder: Path) -> int:
    from tui_dl.engine.config import load_toml
    from tui_dl.engine.errors import UserError
    from tui_dl.engine.runs.recorder import CONFIG
    from tui_dl.engine.runs.session import RunSession
    from tui_dl.engine.training.checkpoint import load_checkpoint
    from tui_dl.runner.protocol import socket_path
    from tui_dl.runner.server import ControlServer

    request = json.loads((folder / LAUNCH).read_text(encoding="utf-8"))
    config = load_toml(folder / CONFIG)
    try:
        resume = load_checkpoint(request["resume"]) if request.get("resume") else None
    except UserError as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return 2
    session = RunSession(config, Path(request["runs_root"]), resume=resume,
                         resumed_from=request.get("resumed_from", ""), folder=folder)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: session.interrupt(_("interrupted by {name}").format(
                                                                        name=signal.Signals(signum).name)))
    started: list[bool] = []
    session.subscribe(lambda _seq, event: started.append(True) if isinstance(event, RunStarted) else None)
    server = ControlServer(session, socket_path(folder)).start()
    if request.get("await_launcher"):
        server.wait_for_client(AWAIT_LAUNCHER_S)
    try:
        finished = session.run()
    finally:
        server.close()
    shown = status_label(finished.status)
    print(f"{shown}: {finished.message}" if finished.message else shown, flush=True)
    if not started:  # failed while setting up: the launcher has shown why; no run to keep
        shutil.rmtree(folder, ignore_errors=True)
        return 2
    if finished.status in (RunStatus.FAILED, RunStatus.DIVERGED):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
