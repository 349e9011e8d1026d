"""What the Runs tab asks of the app (fork a run's settings, attach to a live run, continue from a checkpoint),
and the notice of runs still training in the background when the UI starts."""

from __future__ import annotations

from pathlib import Path

from tui_dl.engine.errors import UserError
from tui_dl.i18n import _, ngettext
from tui_dl.ui.run_link import LocalRun


class RunsFlow:
    """The Runs tab's requests, carried out on one app."""

    def __init__(self, app) -> None:
        self.app = app

    def fork(self, folder: Path) -> None:
        """Put a past run's settings into the builder."""
        from tui_dl.engine.config import load_toml
        from tui_dl.engine.runs.recorder import CONFIG

        try:
            config = load_toml(folder / CONFIG)
        except UserError as exc:
            self.app.notify(str(exc), title=_("not forked"), severity="error")
            return
        self.app.loaded = None
        self.app.form.apply(config)
        self.app.action_show_tab("model")
        self.app.notify(_("settings of {name}: change what you like, then F5 trains a new run").format(name=folder.name),
                        title=_("forked"))

    def attach(self, folder: Path) -> None:
        """Watch and control the run of `folder` (the Training tab shows it)."""
        app = self.app
        if app.link is not None and app.link.folder == folder and app.training:
            app.action_show_tab("training")
            return
        if isinstance(app.link, LocalRun) and app.training:
            app.notify(_("a run of this UI is training: stop it first (F7)"), severity="warning")
            return
        app.controller.attach(folder)

    def continue_from(self, checkpoint: Path) -> None:
        if self.app.training:
            self.app.notify(_("stop the run first (F7)"), severity="warning")
            return
        self.app.load_checkpoint_file(checkpoint)

    def tell_live_runs(self) -> None:
        """At start: name the newest run still training in the background, and how to watch it."""
        from tui_dl.engine.runs.listing import live_runs
        from tui_dl.ui.training import describe_state

        live = live_runs(self.app.runs_root)
        if live:
            first = live[0]
            state = describe_state(first.live_status)
            text = (ngettext("{name} is {state} in the background (and {n} more): F10, then a or enter on it, "
                             "watches it (or tui-dl attach {name})",
                             "{name} is {state} in the background (and {n} more): F10, then a or enter on it, "
                             "watches it (or tui-dl attach {name})", len(live) - 1) if len(live) > 1 else
                    _("{name} is {state} in the background: F10, then a or enter on it, watches it "
                      "(or tui-dl attach {name})")).format(name=first.name, state=state, n=len(live) - 1)
            self.app.notify(text, title=_("live runs"), timeout=15)
