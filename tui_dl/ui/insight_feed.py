"""What feeds the Insights tab: the visible view's probes, from the run training or, for a model that is not
training (a finished run, a loaded checkpoint, a detached run's last.pt), from an inspector (ui.inspector)."""

from __future__ import annotations

from functools import partial

from tui_dl.engine.errors import UserError
from tui_dl.engine.events import RunStatus
from tui_dl.i18n import _
from tui_dl.ui.run_link import AttachedRun, LocalRun
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.shell import Shell
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.training_view import TrainingView


class InsightFeed:
    """Asks for what the visible insight view needs and delivers it to the InsightsPanel."""

    def __init__(self, shell: Shell, shown: ScreenState) -> None:
        self.shell, self.shown = shell, shown
        self.inspector = None  # the inspector of the model on screen, made when a view first needs it
        self.latest: tuple[int, frozenset[str]] = (0, frozenset())  # the run's last views: epoch, kinds

    def forget(self) -> None:
        """The model on screen changed: a later view asks a new inspector."""
        self.inspector, self.latest = None, (0, frozenset())

    def delivered(self, epoch: int, kinds) -> None:
        """The run sent the views `kinds` of `epoch`."""
        self.latest = (epoch, frozenset(kinds))

    def run_ended(self, status: str, epoch: int) -> None:
        """The run on screen ended at `epoch`: when its final views missed the visible one (asked for as it
        ended), the finished model draws it. A failed or diverged run's weights are not drawn."""
        if status not in (RunStatus.COMPLETED, RunStatus.EARLY_STOPPED, RunStatus.STOPPED) or epoch == 0:
            return
        panel = self.shell.query_one(InsightsPanel)
        visible = self.shell.active_tab() == "insights"
        if visible and (self.latest[0] < epoch or not panel.probes <= self.latest[1]):
            self.update()

    def update(self) -> None:
        """Ask for what the visible insight view needs: from the run training, else from an inspector."""
        panel = self.shell.query_one(InsightsPanel)
        visible = self.shell.active_tab() == "insights"
        wanted = panel.probes if visible else frozenset()
        if visible and panel.view == "norms":
            panel.draw_norms(self.shell.query_one(TrainingView).curves)
        if self.shown.training:
            self.shown.link.want_insights(wanted, panel.probe_size)
            return
        if wanted:
            inspector = self.inspector or self._make_inspector()
            if inspector is not None:
                inspector.request(wanted, panel.probe_size)

    def _make_inspector(self):
        """An inspector of the model on screen: a finished run's, or a loaded checkpoint's."""
        from tui_dl.ui.inspector import Inspector

        deliver = partial(self.shell.call_from_thread, self._show)
        complain = partial(self.shell.call_from_thread, self._failed)
        link, loaded = self.shown.link, self.shown.loaded
        try:
            if loaded is not None:
                self.inspector = Inspector.of_checkpoint(loaded, deliver, complain)
            elif isinstance(link, LocalRun) and link.session.trainer.model is not None:
                self.inspector = Inspector(link.session.trainer, deliver, complain)
            elif isinstance(link, AttachedRun) and link.epoch > 0:
                from tui_dl.engine.runs.recorder import LAST
                from tui_dl.engine.training.checkpoint import load_checkpoint

                self.inspector = Inspector.of_checkpoint(load_checkpoint(link.folder / LAST), deliver, complain)
        except UserError as exc:
            self._failed(str(exc))
        return self.inspector

    def _show(self, epoch: int, insights: dict) -> None:
        self.shell.query_one(InsightsPanel).show_insights(epoch, insights)

    def _failed(self, message: str) -> None:
        self.shell.notify(message, title=_("insights unavailable"), severity="warning")
