"""The keys that act on the run on screen: F5 starts (asking before it replaces a run in progress), F6 pauses,
n trains one batch while paused, F7 stops, F8 sets the learning rate."""

from __future__ import annotations

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.i18n import _


class RunKeys:
    """What the run keys do in one app, with the questions they ask."""

    def __init__(self, app) -> None:
        self.app = app

    async def start(self) -> None:
        """Start training with the current settings (asking first whether to stop a run in progress)."""
        controller = self.app.controller
        if controller.state in ("starting", "connecting"):  # its link is not there yet: F5 would not ask first
            self.app.notify(_("{state}: press F5 again once the run is on screen").format(state=controller.state_label),
                            severity="warning")
            return
        config, errors = self.app.form.validate()
        if errors:
            self.app.form.show_first_error(errors)
            return
        resume = self.app.checkpoints.resume_state(config)
        if resume is False:
            return
        if self.app.training:
            from tui_dl.ui.screens.dialogs import ChoiceDialog

            async def answered(choice: str | None) -> None:
                if choice == "restart":
                    if self.app.training:
                        await self.app.controller.stop_and_wait()
                    self._start_now(config, resume)

            self.app.push_screen(ChoiceDialog(
                _("{name} is training (epoch {epoch} done). Stop it and start a new run with these settings?").format(
                    name=self.app.link.name, epoch=self.app.link.epoch),
                [("y", _("stop it and start anew"), "restart"), ("n", _("keep it training"), "keep")], "keep"), answered)
            return
        self._start_now(config, resume)

    def _start_now(self, config: RunConfig, resume: dict | None) -> None:
        from tui_dl.ui.last_settings import save_last

        if (problem := save_last(config)) is not None:
            self.app.notify(problem, severity="warning")
        self.app.insight_feed.forget()
        self.app.controller.start(config, resume or None, self.app.loaded_path)
        self.app.action_show_tab("training")
        self.app.refresh_status()

    def pause(self) -> None:
        """Pause or resume the run."""
        if not self.app.training:
            self.app.notify(_("nothing is training (F5 starts)"))
            return
        self.app.controller.toggle_pause()

    def step(self) -> None:
        """While paused, train one batch; the charts and views show it."""
        if not self.app.training or not self.app.link.paused:
            self.app.notify(_("n trains one batch of a paused run: {what}").format(
                what=_("pause it first (F6)") if self.app.training else _("nothing is training (F5 starts)")))
            return
        try:
            self.app.controller.step()
        except UserError as exc:  # resumed or ended meanwhile
            self.app.notify(str(exc))

    def stop(self) -> None:
        """Stop the run at the next batch."""
        if not self.app.training:
            self.app.notify(_("nothing is training"))
            return
        self.app.controller.stop()
        self.app.refresh_status()

    def change_lr(self) -> None:
        """Ask for a new learning rate; applied from the next batch (or set in the field when idle)."""
        from tui_dl.ui.screens.dialogs import LearningRateDialog

        config, _errors = self.app.form.validate()
        current = self.app.link.lr if self.app.training else config.train.lr

        def apply(value: float | None) -> None:
            if value is None:
                return
            self.app.form.set_field("train", "lr", f"{value:g}")
            if self.app.training:
                self.app.controller.set_lr(value)
                train = self.app.link.config.train if self.app.link.config is not None else config.train
                scheduled = train.schedule != "constant" or train.warmup
                self.app.notify((_("base learning rate {rate} from the next batch; the schedule goes on from it")
                                 if scheduled else _("learning rate {rate} from the next batch")).format(rate=f"{value:g}"))

        self.app.push_screen(LearningRateDialog(current), apply)
