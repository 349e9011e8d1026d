"""The app's training job: starting, attaching to and controlling runs, and drawing their events.

The run on screen is the ScreenState's `link` (at most one). Keys reach the controller through the app's
actions; the run's events reach the Training, Insights and Runs tabs from `drain()`, a few times a second.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import (
    EpochEnded,
    Event,
    InsightsReady,
    LrChanged,
    RunFinished,
    RunStarted,
    RunStatus,
    StateChanged,
    StepMetrics,
)
from tui_dl.engine.runs.duration import format_duration
from tui_dl.engine.runs.metric_text import format_test
from tui_dl.i18n import _, ngettext
from tui_dl.ui.form import field_id
from tui_dl.ui.insight_feed import InsightFeed
from tui_dl.ui.run_link import AttachedRun, LinkNote, LocalRun, RunLink
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.settings_form import SettingsForm
from tui_dl.ui.shell import Shell
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.key_bar import KeyBar
from tui_dl.ui.widgets.runs_panel import RunsPanel
from tui_dl.ui.widgets.training_view import TrainingView

SAVE_WAIT_S = 120.0  # how long leaving waits for a local run to stop and write its last checkpoint


class TrainingController:
    """Runs for the app: starts, attaches to and controls the run on screen (`shown.link`), and draws its events."""

    def __init__(self, shell: Shell, shown: ScreenState, form: SettingsForm, feed: InsightFeed, detach: bool):
        self.shell, self.shown, self.form, self.feed, self.detach = shell, shown, form, feed, detach

    @property
    def link(self) -> RunLink | None:
        return self.shown.link

    # starting and attaching ---------------------------------------------------------------------------

    def start(self, config: RunConfig, resume: dict | None, resume_path: Path | None) -> None:
        """Start a run: in its own process (attached at once), or in this one."""
        self.shown.run_state = "starting"
        self.shell.query_one(TrainingView).prepare("starting: loading the data and building the model...")
        if not self.detach:
            self._show(LocalRun(config, self.shown.runs_root, resume, str(resume_path) if resume else ""))
            return
        self.shell.run_worker(lambda: self._launch(config, resume_path if resume else None), thread=True,
                              group="launch", exit_on_error=False)

    def _launch(self, config: RunConfig, resume: Path | None) -> None:
        from tui_dl.runner.launch import launch

        try:
            launched = launch(config, self.shown.runs_root, resume=resume, resumed_from=str(resume) if resume else "")
            link = AttachedRun(launched.client, launched.process)
        except UserError as exc:
            self.shell.call_from_thread(self._failed_to_start, str(exc))
            return
        self.shell.call_from_thread(self._show, link)

    def attach(self, folder: Path) -> None:
        """Watch and control the live run in `folder` (its history first, then live)."""
        self.shown.run_state = "connecting"
        self.shell.query_one(TrainingView).prepare(_("attaching to {name}...").format(name=folder.name))
        self.shell.run_worker(lambda: self._connect(folder), thread=True, group="launch", exit_on_error=False)

    def _connect(self, folder: Path) -> None:
        from tui_dl.runner.client import RunClient

        try:
            link = AttachedRun(RunClient(folder))
        except UserError as exc:
            self.shell.call_from_thread(self._failed_to_start, str(exc), _("not attached"))
            return
        self.shell.call_from_thread(self._show, link)

    def _failed_to_start(self, message: str, title: str | None = None) -> None:
        self.shown.run_state = "idle" if self.link is None else self.shown.run_state
        self.shell.notify(message, title=title or _("run not started"), severity="error", timeout=15)
        self.shell.refresh_status()

    def _show(self, link: RunLink) -> None:
        if self.link is not None and self.link is not link and isinstance(self.link, AttachedRun):
            self.link.leave("", 0)  # stop watching the previous run; it goes on
        self.shown.link = link
        self.shown.run_state = link.status
        self.feed.forget()
        self.feed.update()
        self.shell.show_tab("training")
        self.shell.refresh_status()
        self.drain()

    # control -----------------------------------------------------------------------------------------

    def toggle_pause(self) -> None:
        self.link.resume() if self.link.paused else self.link.pause()

    def stop(self) -> None:
        self.link.stop()
        self.shown.run_state = "stopping"

    def step(self) -> None:
        self.link.step()

    def set_lr(self, lr: float) -> None:
        self.link.set_lr(lr)

    async def stop_and_wait(self) -> None:
        """Stop the run on screen and wait until it has ended (F5 during a run)."""
        import asyncio

        link = self.link
        link.stop()
        while link.live:
            await asyncio.sleep(0.05)
            self.drain()

    def leave(self, reason: str) -> str | None:
        """The UI goes away (from any thread): what to tell the user; a run of this process is saved first."""
        return self.link.leave(reason, SAVE_WAIT_S) if self.link is not None else None

    # events ------------------------------------------------------------------------------------------

    def drain(self) -> None:
        """Apply the run's events to the screen."""
        if self.link is None:
            return
        items = self.link.drain()
        view = self.shell.query_one(TrainingView)
        events = [item for item in items if not isinstance(item, LinkNote)]
        for note in (item for item in items if isinstance(item, LinkNote)):
            self.shell.notify(note.message, title=note.title, severity=note.severity)
        if not events:
            if self.shown.training and self.shown.run_state == RunStatus.RUNNING:
                view.show_progress(self.shown.state_label)
                view.redraw_if_due()
            return
        finished = False
        for event in events:
            finished = self._apply(event, view) or finished
        if any(isinstance(e, EpochEnded) for e in events) and not finished:
            view.show_epoch_line()
        if not finished:
            view.show_progress(self.shown.state_label)
        if finished or self.shown.run_state == RunStatus.PAUSED:
            view.redraw()  # the final curves, or a step taken while paused, at once
        else:
            view.redraw_if_due()
        active = self.shell.active_tab()
        if active in ("insights", "runs") and any(isinstance(e, EpochEnded) for e in events):
            if active == "insights":
                self.shell.query_one(InsightsPanel).draw_norms(view.curves)
            else:
                self.shell.query_one(RunsPanel).reload_if_due()  # the running run's curve grows in the overlay
        self.shell.refresh_status()

    def _apply(self, event: Event, view: TrainingView) -> bool:
        """Draw one event; True when the run has ended."""
        if isinstance(event, RunStarted):
            curves = Curves.from_started(event) if event.history or len(event.step_losses) else None
            view.begin(event.task, event.steps_per_epoch, event.start_epoch, event.config.train.epochs, curves,
                       event.config.train.regularization)
            self.shown.run_state = RunStatus.RUNNING
            self._started(event)
        elif isinstance(event, StepMetrics):
            view.add_steps(event.first_step, event.losses)
        elif isinstance(event, EpochEnded):
            view.add_epoch(event.metrics, event.best_epoch)
        elif isinstance(event, StateChanged):
            self.shown.run_state = event.state
            view.paused(event.state == RunStatus.PAUSED)
            self.shell.query_one(KeyBar).paused = event.state == RunStatus.PAUSED
            if self._from_elsewhere(event.source):
                self.shell.notify(_("{name} {state} from another session").format(
                    name=self.link.name, state=RunStatus(event.state).label))
        elif isinstance(event, LrChanged):
            self.shell.query_one(f"#{field_id('train', 'lr')}", Input).value = f"{event.lr:g}"
            if self._from_elsewhere(event.source):
                self.shell.notify(_("learning rate {rate} set from another session").format(rate=f"{event.lr:g}"))
        elif isinstance(event, InsightsReady):
            self.shell.query_one(InsightsPanel).show_insights(event.epoch, event.insights, event.error)
            self.feed.delivered(event.epoch, event.insights)
        elif isinstance(event, RunFinished):
            self.shown.run_state = event.status
            self.shell.query_one(KeyBar).paused = False
            self._finished(event)
            self.feed.run_ended(event.status, self.link.epoch)
            view.show_epoch_line()
            view.finish(RunStatus(event.status).label, event.seconds, event.message, event.test)
            return True
        return False

    def _from_elsewhere(self, source: str) -> bool:
        return bool(source) and self.link is not None and source != self.link.session_id

    def _started(self, event: RunStarted) -> None:
        """The run on screen began training (or was attached to): its notices, the Runs tab, its settings if joined."""
        self.reload_runs_if_shown()
        self.shown.loaded = None
        if self.link.joined:  # the Data and Model tabs show what the run attached to trains with
            self.form.apply(event.config)
        for notice in event.notices:
            self.shell.notify(notice, title=_("data"))

    def reload_runs_if_shown(self) -> None:
        """The Runs tab rereads its folder when shown; while it is shown, when a run starts or ends."""
        if self.shell.active_tab() == "runs":
            self.shell.query_one(RunsPanel).reload()

    def _finished(self, event: RunFinished) -> None:
        self.reload_runs_if_shown()
        for problem in event.problems:
            self.shell.notify(problem, title=_("run record incomplete"), severity="warning", timeout=15)
        if event.status in (RunStatus.FAILED, RunStatus.DIVERGED, RunStatus.CRASHED):
            self.shell.notify(event.message, title=_("run {state}").format(state=RunStatus(event.status).label),
                              severity="error", timeout=15)
        else:
            best = f"{event.best_val_loss:.4f}" if event.best_val_loss is not None else "-"
            test = f" {format_test(event.test)}." if event.test else ""
            self.shell.notify(ngettext("{n} epoch in {time}; best loss {best} at epoch {epoch}.{test} ctrl+s saves.",
                                       "{n} epochs in {time}; best loss {best} at epoch {epoch}.{test} ctrl+s saves.",
                                       event.epochs_done).format(n=event.epochs_done, best=best, test=test,
                                                                 time=format_duration(event.seconds),
                                                                 epoch=event.best_epoch),
                              title=_("run {state}").format(state=RunStatus(event.status).label))
