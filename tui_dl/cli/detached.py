"""Detached runs from the command line: `train --detach`, and `pause`, `resume`, `step`, `stop`, `set-lr` RUN."""

from __future__ import annotations

import sys
from pathlib import Path

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.i18n import N_, _

VERBS = {"pause": N_("paused"), "resume": N_("resumed"), "step": N_("trains one batch, then stays paused"),
         "stop": N_("asked to stop"), "set-lr": N_("learning rate set to {value:g}")}  # what the command did


def resolve_live(root: Path, name: str | None) -> Path:
    """The folder of run `name` (a name, a unique prefix or a folder), or of the newest live run."""
    from tui_dl.engine.runs.listing import find_run, live_runs

    if name:
        return find_run(root, name)
    live = live_runs(root)
    if not live:
        raise UserError(_("no live run in {root} (`tui-dl runs` lists the recorded ones)").format(root=root))
    return live[0].path


def train_detached(config: RunConfig, runs_root: Path, name: str | None, resume: Path | None) -> int:
    """Start the run in its own process and return once it trains (or say why it could not start)."""
    from tui_dl.runner.launch import launch, wait_started

    launched = launch(config, runs_root, name=name, resume=resume, resumed_from=str(resume) if resume else "")
    try:
        started = wait_started(launched)
    finally:
        launched.client.close()
    folder = launched.folder
    print(_("{name}: training in the background (pid {pid}), {summary} on {device}\n  watch it:  tui-dl attach "
            "{name}\n  control:   tui-dl pause | resume | step | stop {name},  tui-dl set-lr {name} VALUE\n  "
            "folder:    {folder}").format(
              name=folder.name, pid=launched.process.pid, summary=started.summary, device=started.device,
              folder=folder))
    return 0


def control(root: Path, name: str, verb: str, value: float | None = None) -> int:
    """Send one command to a live run and say what it did."""
    from tui_dl.runner.client import RunClient

    folder = resolve_live(root, name)
    client = RunClient(folder, watch=False)
    try:
        if verb == "set-lr":
            client.command("set_lr", lr=value)
        else:
            client.command(verb)
    finally:
        client.close()
    print(f"{folder.name}: {_(VERBS[verb]).format(value=value or 0)}", file=sys.stderr)
    return 0
