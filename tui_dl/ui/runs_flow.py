"""What the Runs tab asks of the app (fork a run's settings, attach to a live run, continue from a checkpoint),
and the notice of runs still training in the background when the UI starts."""

from __future__ import annotations

from pathlib import Path

from tui_dl.engine.errors import UserError
from tui_dl.i18n import _, ngettext
from tui_dl.ui.checkpoint_flow import CheckpointFlow
from tui_dl.ui.run_link import LocalRun
from tui_dl.ui.screen_state import ScreenState, describe_state
from tui_dl.ui.settings_form import SettingsForm
from tui_dl.ui.shell import Shell
from tui_dl.ui.training import TrainingController


class RunsFlow:
    """The Runs tab's requests, carried out on what the screen shows."""

    def __init__(self, shell: Shell, shown: ScreenState, form: SettingsForm, controller: TrainingController,
                 checkpoints: CheckpointFlow) -> None:
        self.shell, self.shown, self.form = shell, shown, form
        self.controller, self.checkpoints = controller, checkpoints

    def fork(self, folder: Path) -> None:
        """Put a past run's settings into the builder."""
        from tui_dl.engine.config import load_toml
        from tui_dl.engine.runs.recorder import CONFIG

        try:
            config = load_toml(folder / CONFIG)
        except UserError as exc:
            self.shell.notify(str(exc), title=_("not forked"), severity="error")
            return
        self.shown.loaded = None
        self.form.apply(config)
        self.shell.show_tab("model")
        self.shell.notify(_("settings of {name}: change what you like, then F5 trains a new run").format(
            name=folder.name), title=_("forked"))

    def attach(self, folder: Path) -> None:
        """Watch and control the run of `folder` (the Training tab shows it)."""
        link = self.shown.link
        if link is not None and link.folder == folder and self.shown.training:
            self.shell.show_tab("training")
            return
        if isinstance(link, LocalRun) and self.shown.training:
            self.shell.notify(_("a run of this UI is training: stop it first (F7)"), severity="warning")
            return
        self.controller.attach(folder)

    def continue_from(self, checkpoint: Path) -> None:
        if self.shown.training:
            self.shell.notify(_("stop the run first (F7)"), severity="warning")
            return
        self.checkpoints.load_file(checkpoint)

    def tell_live_runs(self) -> None:
        """At start: name the newest run still training in the background, and how to watch it."""
        from tui_dl.engine.runs.listing import live_runs

        live = live_runs(self.shown.runs_root)
        if live:
            first = live[0]
            state = describe_state(first.live_status)
            text = (ngettext("{name} is {state} in the background (and {n} more): F10, then a or enter on it, "
                             "watches it (or tui-dl attach {name})",
                             "{name} is {state} in the background (and {n} more): F10, then a or enter on it, "
                             "watches it (or tui-dl attach {name})", len(live) - 1) if len(live) > 1 else
                    _("{name} is {state} in the background: F10, then a or enter on it, watches it "
                      "(or tui-dl attach {name})")).format(name=first.name, state=state, n=len(live) - 1)
            self.shell.notify(text, title=_("live runs"), timeout=15)
