"""The keys that act on the run on screen: F5 starts (asking before it replaces a run in progress), F6 pauses,
n trains one batch while paused, F7 stops, F8 sets the learning rate."""

from __future__ import annotations

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.i18n import _
from tui_dl.ui.checkpoint_flow import CheckpointFlow
from tui_dl.ui.insight_feed import InsightFeed
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.settings_form import SettingsForm
from tui_dl.ui.shell import Shell
from tui_dl.ui.training import TrainingController


class RunKeys:
    """What the run keys do to the run on screen, with the questions they ask."""

    def __init__(self, shell: Shell, shown: ScreenState, form: SettingsForm, controller: TrainingController,
                 checkpoints: CheckpointFlow, feed: InsightFeed) -> None:
        self.shell, self.shown, self.form = shell, shown, form
        self.controller, self.checkpoints, self.feed = controller, checkpoints, feed

    async def start(self) -> None:
        """Start training with the current settings (asking first whether to stop a run in progress)."""
        if self.shown.run_state in ("starting", "connecting"):  # its link is not there yet: F5 would not ask first
            self.shell.notify(_("{state}: press F5 again once the run is on screen").format(
                state=self.shown.state_label), severity="warning")
            return
        config, errors = self.form.validate()
        if errors:
            self.form.show_first_error(errors)
            return
        resume = self.checkpoints.resume_state(config)
        if resume is False:
            return
        if self.shown.training:
            from tui_dl.ui.screens.dialogs import ChoiceDialog

            async def answered(choice: str | None) -> None:
                if choice == "restart":
                    if self.shown.training:
                        await self.controller.stop_and_wait()
                    self._start_now(config, resume)

            self.shell.push_screen(ChoiceDialog(
                _("{name} is training (epoch {epoch} done). Stop it and start a new run with these settings?").format(
                    name=self.shown.link.name, epoch=self.shown.link.epoch),
                [("y", _("stop it and start anew"), "restart"), ("n", _("keep it training"), "keep")], "keep"), answered)
            return
        self._start_now(config, resume)

    def _start_now(self, config: RunConfig, resume: dict | None) -> None:
        from tui_dl.ui.last_settings import save_last

        if (problem := save_last(config)) is not None:
            self.shell.notify(problem, severity="warning")
        self.feed.forget()
        self.controller.start(config, resume or None, self.shown.loaded_path)
        self.shell.show_tab("training")
        self.shell.refresh_status()

    def pause(self) -> None:
        """Pause or resume the run."""
        if not self.shown.training:
            self.shell.notify(_("nothing is training (F5 starts)"))
            return
        self.controller.toggle_pause()

    def step(self) -> None:
        """While paused, train one batch; the charts and views show it."""
        if not self.shown.training or not self.shown.link.paused:
            self.shell.notify(_("n trains one batch of a paused run: {what}").format(
                what=_("pause it first (F6)") if self.shown.training else _("nothing is training (F5 starts)")))
            return
        try:
            self.controller.step()
        except UserError as exc:  # resumed or ended meanwhile
            self.shell.notify(str(exc))

    def stop(self) -> None:
        """Stop the run at the next batch."""
        if not self.shown.training:
            self.shell.notify(_("nothing is training"))
            return
        self.controller.stop()
        self.shell.refresh_status()

    def change_lr(self) -> None:
        """Ask for a new learning rate; applied from the next batch (or set in the field when idle)."""
        from tui_dl.ui.screens.dialogs import LearningRateDialog

        config, _errors = self.form.validate()
        current = self.shown.link.lr if self.shown.training else config.train.lr

        def apply(value: float | None) -> None:
            if value is None:
                return
            self.form.set_field("train", "lr", f"{value:g}")
            if self.shown.training:
                self.controller.set_lr(value)
                train = self.shown.link.config.train if self.shown.link.config is not None else config.train
                scheduled = train.schedule != "constant" or train.warmup
                said = (_("base learning rate {rate} from the next batch; the schedule goes on from it") if scheduled
                        else _("learning rate {rate} from the next batch"))
                self.shell.notify(said.format(rate=f"{value:g}"))

        self.shell.push_screen(LearningRateDialog(current), apply)
