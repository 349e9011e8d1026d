"""The Training tab: progress, the latest metrics, the overfitting note, system load, and live charts."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from tui_dl.engine.events import EpochMetrics
from tui_dl.engine.runs.duration import format_duration
from tui_dl.engine.runs.metric_text import format_test
from tui_dl.i18n import _
from tui_dl.ui.language import Relabels
from tui_dl.ui.series import ChartOptions
from tui_dl.ui.widgets.chart_keys import CHART_BINDINGS, ChartKeys, options_hint
from tui_dl.ui.widgets.charts import Curves, LossChart, MetricChart, fit_parts

CHART_REFRESH_S = 1.0


def describe_epoch(m: EpochMetrics) -> str:
    """The latest epoch's numbers, short enough for one line."""
    parts = [_("epoch {epoch}").format(epoch=m.epoch), _("train {loss}").format(loss=f"{m.train_loss:.4f}")]
    if m.val_loss is not None:
        parts.append(_("val {loss}").format(loss=f"{m.val_loss:.4f}"))
    if m.train_acc is not None:
        parts.append(_("acc {accuracy}").format(
            accuracy=f"{m.train_acc:.1%}" + (f"/{m.val_acc:.1%}" if m.val_acc is not None else "")))
    if m.val_mae is not None:
        parts.append(f"MAE {m.val_mae:.4g} R2 {m.val_r2:.3f}")
    return "  ".join(parts)


class RunClock:
    """The run's time on screen: the recorded epochs' seconds plus the time since the last one, pauses left out.

    So it agrees with the trainer's figure (engine.runs.duration): exactly once the run has finished.
    """

    def __init__(self, resumed_at: float = 0.0):
        self.resumed_at = resumed_at  # seconds of the epochs before a resume
        self.recorded = resumed_at
        self.since = time.monotonic()
        self.paused_at: float | None = None
        self.final: float | None = None

    @property
    def elapsed(self) -> float:
        if self.final is not None:
            return self.final
        now = self.paused_at if self.paused_at is not None else time.monotonic()
        return self.recorded + max(now - self.since, 0.0)

    def epoch_ended(self, seconds: float) -> None:
        self.recorded += seconds
        self.since = self.paused_at if self.paused_at is not None else time.monotonic()

    def pause(self) -> None:
        if self.paused_at is None:
            self.paused_at = time.monotonic()

    def resume(self) -> None:
        if self.paused_at is not None:
            self.since += time.monotonic() - self.paused_at
            self.paused_at = None

    def finished(self, seconds: float) -> None:
        self.final = seconds


class TrainingView(ChartKeys, Vertical, Relabels, can_focus=True):
    """Progress bar and text, metrics line, system line, chart options and the loss and metric charts."""

    BINDINGS = CHART_BINDINGS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.curves = Curves()
        self.chart_options = ChartOptions()
        self.total_steps = 1
        self.done_steps = 0
        self.first_step = 0
        self.begun = False  # a run has started (its clock and counts are meaningful)
        self.test: dict[str, float] = {}  # the ended run's test-split metrics, shown after its last epoch
        self.clock = RunClock()
        self.samples_per_s = 0.0
        self.total_epochs = 0
        self.stale, self.drawn_at = False, 0.0
        # Held directly: updates arriving while the app shuts down must not depend on a DOM query.
        self.progress_bar = ProgressBar(total=1, show_eta=False, show_percentage=True, id="progress")
        self.progress_text = Static(_("ready: press F5 to train"), id="progress-text")
        self.metrics_line = Static("", id="metrics-line")
        self.system_line = Static("", id="system-line")
        self.options_line = Static("", id="chart-options")
        self.loss_chart = LossChart(self.chart_options, id="loss-chart")
        self.metric_chart = MetricChart(self.chart_options, id="metric-chart")

    def compose(self) -> ComposeResult:
        with Horizontal(id="progress-row"):
            yield self.progress_bar
            yield self.progress_text
        yield self.metrics_line
        yield self.system_line
        yield self.options_line
        with Horizontal(id="charts"):
            yield self.loss_chart
            yield self.metric_chart

    def on_mount(self) -> None:
        self._show_options()

    def _show_options(self) -> None:
        self.options_line.update(options_hint(self.chart_options), layout=False)

    def options_changed(self) -> None:
        self._show_options()
        self.redraw()

    def show_system(self, line: str) -> None:
        self.system_line.update(line, layout=False)

    def prepare(self, note: str) -> None:
        """A run is being started or attached to: clear the last one's figures, say what is happening."""
        self.begun, self.test = False, {}
        self.curves = Curves()
        self.progress_bar.update(total=1, progress=0)
        self.progress_text.update(note, layout=False)
        self.metrics_line.update("", layout=False)
        self.redraw()

    def begin(self, task: str, steps_per_epoch: int, start_epoch: int, epochs: int, curves: Curves | None,
              regularization: str = "none") -> None:
        """Reset for a run (keeping `curves` when continuing from a checkpoint)."""
        self.curves = curves if curves is not None else Curves()
        self.curves.task, self.curves.steps_per_epoch = task, steps_per_epoch
        self.curves.regularization = regularization
        self.total_epochs = epochs
        self.total_steps = max(1, steps_per_epoch * (epochs - start_epoch))
        self.first_step = start_epoch * steps_per_epoch
        self.done_steps = 0
        self.samples_per_s = 0.0
        self.begun, self.test = True, {}
        self.clock = RunClock(sum(m.seconds for m in self.curves.epochs))
        self.progress_bar.update(total=self.total_steps, progress=0)
        self.metrics_line.update("", layout=False)
        self.redraw()

    def add_steps(self, first_step: int, losses: list[float]) -> None:
        self.curves.steps.extend(losses)
        self.stale = True
        self.done_steps = first_step + len(losses) - self.first_step

    def add_epoch(self, metrics: EpochMetrics, best_epoch: int) -> None:
        self.curves.add_epoch(metrics)
        self.clock.epoch_ended(metrics.seconds)
        self.curves.best_epoch = best_epoch
        self.stale = True
        rate = metrics.samples_per_s
        self.samples_per_s = rate if not self.samples_per_s else 0.8 * self.samples_per_s + 0.2 * rate
        self.done_steps = metrics.step - self.first_step

    def show_epoch_line(self) -> None:
        """The last epoch's figures and the overfitting marker: once per batch of events (the marker reads the
        whole history, so not once per epoch of a fast run, or of a long run caught up with)."""
        if not self.curves.epochs:
            return
        line = describe_epoch(self.curves.epochs[-1])
        onset = self.curves.overfit_since()
        if onset is not None:
            line += "   " + _("[b $warning]overfitting since epoch {epoch}[/]: validation loss rising while training "
                              "loss falls").format(epoch=onset)
        if self.test:
            line += f"   [b]{format_test(self.test)}[/]"
        self.metrics_line.update(line, layout=False)

    def relabel(self) -> None:
        """The lines and charts in the language in use (the progress line follows at the next update)."""
        if not self.begun and not self.curves.epochs:
            self.progress_text.update(_("ready: press F5 to train"), layout=False)
        self.show_epoch_line()
        self._show_options()
        self.redraw()

    def show_progress(self, state: str) -> None:
        """Progress bar and text: epoch, step, the run's time, ETA, samples/s."""
        if not self.begun:
            return
        self.progress_bar.update(progress=self.done_steps)
        spe = max(self.curves.steps_per_epoch, 1)
        absolute = self.first_step + self.done_steps  # steps done: the last of them is in epoch `epoch`
        epoch = min(max(absolute - 1, 0) // spe + 1, max(self.total_epochs, 1))
        fraction = self.done_steps / self.total_steps
        this_run = self.clock.elapsed - self.clock.resumed_at
        ongoing = self.clock.final is None and 0 < fraction < 1
        eta = format_duration(this_run * (1 - fraction) / fraction) if ongoing else "-"
        parts = [state, _("epoch {epoch}").format(epoch=f"{epoch}/{self.total_epochs}"),
                 format_duration(self.clock.elapsed), _("ETA {time}").format(time=eta),
                 _("step {step}").format(step=f"{absolute - (epoch - 1) * spe}/{spe}")]
        if self.samples_per_s:
            parts.append(_("{rate} samples/s").format(rate=f"{self.samples_per_s:,.0f}"))
        self.progress_text.update(fit_parts(parts, self.progress_text.size.width), layout=False)

    def finish(self, state: str, seconds: float, message: str, test: dict[str, float]) -> None:
        """The run ended: its final time (the figure the summary and the notification give) and its test split's
        metrics, or why it never began."""
        if not self.begun:
            self.progress_text.update(_("{state} before the first epoch: {message}").format(state=state, message=message),
                                      layout=False)
            return
        self.clock.finished(seconds)
        self.show_progress(state)
        if test:
            self.test = test
            self.show_epoch_line()

    def paused(self, paused: bool) -> None:
        """The run was paused or resumed: its clock stops or goes on."""
        self.clock.pause() if paused else self.clock.resume()

    def show_curves(self, curves: Curves, note: str) -> None:
        """Show curves restored from a checkpoint."""
        self.curves, self.test = curves, {}
        self.progress_text.update(note, layout=False)
        if curves.epochs:
            self.metrics_line.update(describe_epoch(curves.epochs[-1]), layout=False)
        self.redraw()

    def redraw(self) -> None:
        """Draw both charts now."""
        self.loss_chart.draw(self.curves)
        self.metric_chart.draw(self.curves)
        self.stale, self.drawn_at = False, time.monotonic()

    def redraw_if_due(self) -> None:
        """Draw the charts if their data changed and CHART_REFRESH_S has passed since the last draw.

        Plotting is the costliest thing the UI does while training; once a second keeps it cheap.
        """
        if self.stale and time.monotonic() - self.drawn_at >= CHART_REFRESH_S:
            self.redraw()
