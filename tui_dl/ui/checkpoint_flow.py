"""Checkpoints in the UI: save the run on screen (ctrl+s), load one (ctrl+o, or c / b on the Runs tab) and
continue from it with F5."""

from __future__ import annotations

from pathlib import Path

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.i18n import _
from tui_dl.ui.insight_feed import InsightFeed
from tui_dl.ui.run_link import LocalRun
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.settings_form import SettingsForm
from tui_dl.ui.shell import Shell
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.training_view import TrainingView


class CheckpointFlow:
    """The loaded checkpoint (`shown.loaded`, `shown.loaded_path`) and the dialogs that save and load."""

    def __init__(self, shell: Shell, shown: ScreenState, form: SettingsForm, feed: InsightFeed) -> None:
        self.shell, self.shown, self.form, self.feed = shell, shown, form, feed

    def save(self) -> None:
        """Save the last finished epoch to a path chosen in a dialog (the run itself writes it)."""
        from tui_dl.ui.screens.checkpoints import SaveCheckpointDialog

        link = self.shown.link
        if link is None or link.epoch == 0:
            self.shell.notify(_("nothing to save yet: train first (F5) or load a checkpoint"), severity="warning")
            return
        default = (link.folder or self.shown.runs_root) / "checkpoint.pt"

        def save(path: Path | None) -> None:
            if path is not None:
                self._save_to(link, path)

        self.shell.push_screen(SaveCheckpointDialog(default, link.epoch), save)

    def _save_to(self, link, path: Path) -> None:
        if link.live or isinstance(link, LocalRun):
            link.save(path)  # the outcome comes back as a note
            return
        import shutil

        from tui_dl.engine.runs.recorder import LAST

        try:  # the run's process has ended: its last.pt is the final epoch
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(link.folder / LAST, path)
        except OSError as exc:
            self.shell.notify(_("cannot write {path}: {error}").format(path=path, error=exc.strerror or exc),
                              title=_("not saved"), severity="error")
            return
        self.shell.notify(_("epoch {epoch} saved to {path}").format(epoch=link.epoch, path=path),
                          title=_("checkpoint saved"))

    def choose(self) -> None:
        """Pick a checkpoint in a dialog; restore its settings and curves; F5 then continues from it."""
        from tui_dl.ui.screens.checkpoints import LoadCheckpointDialog

        if self.shown.training:
            self.shell.notify(_("stop the run first (F7)"), severity="warning")
            return

        def loaded(result: tuple[Path, dict] | None) -> None:
            if result is not None:
                self.apply(*result)

        self.shell.push_screen(LoadCheckpointDialog(self.shown.runs_root), loaded)

    def load_file(self, path: Path) -> None:
        """Load `path` into the app (settings, curves); report problems as notifications."""
        from tui_dl.engine.training.checkpoint import load_checkpoint

        try:
            state = load_checkpoint(path)
        except UserError as exc:
            self.shell.notify(str(exc), title=_("not loaded"), severity="error", timeout=15)
            return
        self.apply(path, state)

    def apply(self, path: Path, state: dict) -> None:
        """Restore a loaded checkpoint's settings and curves; F5 then continues from it."""
        from tui_dl.engine.training.checkpoint import checkpoint_config

        config = checkpoint_config(state)  # load_checkpoint validated it
        self.shown.loaded, self.shown.loaded_path = state, path
        self.feed.forget()
        self.shown.run_state = "loaded"
        self.form.apply(config)
        self.shell.query_one(TrainingView).show_curves(
            Curves.from_checkpoint(state),
            _("loaded {file} at epoch {epoch}: F5 continues (raise epochs to train more)").format(
                file=path.name, epoch=state["epoch"]))
        self.shell.refresh_status()
        self.shell.show_tab("training")
        self.shell.notify(_("{dataset}, epoch {epoch}").format(dataset=state.get("dataset", "?"), epoch=state["epoch"]),
                          title=_("checkpoint loaded"))

    def resume_state(self, config: RunConfig) -> dict | None | bool:
        """The loaded checkpoint to continue from, None for a fresh run, False if the user must act first."""
        loaded = self.shown.loaded
        if loaded is None:
            return None
        from tui_dl.engine.training.checkpoint import checkpoint_config

        saved = checkpoint_config(loaded)  # as read today: an older checkpoint's settings get their defaults
        if saved.model != config.model or saved.data.dataset != config.data.dataset:
            self.shell.notify(_("the model or data set differs from the loaded checkpoint: starting a fresh run"))
            self.shown.loaded = None
            return None
        if config.train.epochs <= loaded["epoch"]:
            self.shell.notify(_("the checkpoint is at epoch {epoch}: raise epochs above it to continue").format(
                epoch=loaded["epoch"]), title=_("nothing to train"), severity="warning")
            self.form.focus_field("train", "epochs")
            return False
        return loaded
