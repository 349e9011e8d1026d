"""Live training charts: loss (per step and per epoch), accuracy / error with the learning rate, and run overlays,
drawn with plotext.

Every chart follows the shared ChartOptions (smoothing, log y, x axis, zoom) and plots at most one point per
column per curve, so its cost depends on its width, not on how many steps were recorded.
"""

from __future__ import annotations

import math
import warnings
from array import array
from dataclasses import dataclass, field, replace

import numpy as np
from rich.cells import cell_len
from textual_plotext import PlotextPlot

from tui_dl.engine.config import RunConfig
from tui_dl.engine.events import EpochMetrics
from tui_dl.engine.insights.overfit import overfit_onset
from tui_dl.i18n import _
from tui_dl.ui.series import ChartOptions, Timeline, shape_line, y_ticks
from tui_dl.ui.widgets.wide_plot import WidePlot

Color = str | tuple[int, int, int]
# (bright, faint): the faint shade draws the raw curve behind its smoothed line.
TRAIN_COLOR: tuple[Color, Color] = ("cyan", (40, 110, 130))
VAL_COLOR: tuple[Color, Color] = ("orange", (140, 95, 50))
STEP_COLOR: tuple[Color, Color] = ((200, 200, 200), (105, 105, 105))
LR_COLOR: tuple[Color, Color] = ("magenta", (120, 60, 120))
BEST_COLOR = "green"
# Colours of overlaid runs, in selection order.
RUN_COLORS: tuple[Color, ...] = ("cyan", "orange", "magenta", "green", "yellow", "blue", "red", "white")
# Quarter-block markers draw a curve at half the cost of braille; one point per column is enough.
MARKER = "hd"
TITLE_MARGIN = 10  # a title is centred on the canvas, right of the y axis's labels: this much narrower than the chart


def downsample(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[list[float], list[float]]:
    """Means of x and y over at most `buckets` equal runs of points, skipping NaN (cost O(n), output O(buckets))."""
    n = len(y)
    if n == 0:
        return [], []
    size = max(1, -(-n // max(buckets, 1)))
    pad = -n % size
    if pad:
        x = np.concatenate([x, np.full(pad, np.nan)])
        y = np.concatenate([y, np.full(pad, np.nan)])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xs = np.nanmean(x.reshape(-1, size), axis=1)
        ys = np.nanmean(y.reshape(-1, size), axis=1)
    keep = ~np.isnan(ys)
    return xs[keep].tolist(), ys[keep].tolist()


def fit_parts(parts: list[str], width: int, sep: str = "  ") -> str:
    """`parts` joined by `sep`, the last ones left out where they would not fit in `width` cells (0: all)."""
    text = parts[0]
    for part in parts[1:]:
        if width and cell_len(text) + cell_len(sep) + cell_len(part) > width:
            break
        text += sep + part
    return text


SERIES = ("train_loss", "val_loss", "train_acc", "val_acc", "val_mae", "lr")


@dataclass
class Curves:
    """Everything the charts draw: epoch metrics (also as float columns) and per-step training losses."""

    task: str = "classification"
    steps_per_epoch: int = 1
    regularization: str = "none"  # the run's: the loss chart says its penalty is not in the losses drawn
    epochs: list[EpochMetrics] = field(default_factory=list)
    steps: array = field(default_factory=lambda: array("f"))
    best_epoch: int = 0
    columns: dict[str, array] = field(
        default_factory=lambda: {name: array("d") for name in ("epoch", "step", "seconds", *SERIES)})
    _overfit: tuple[int, int | None] = field(default=(-1, None), init=False, repr=False)  # (epochs, onset)

    def __post_init__(self) -> None:
        history, self.epochs = self.epochs, []
        for metrics in history:
            self.add_epoch(metrics)

    @classmethod
    def from_started(cls, event) -> Curves:
        """The curves a RunStarted event carries: a resumed or attached run's history so far."""
        return cls(task=event.task, steps_per_epoch=event.steps_per_epoch, epochs=list(event.history),
                   steps=array("f", event.step_losses.astype("float32").tobytes()), best_epoch=event.best_epoch)

    @classmethod
    def from_checkpoint(cls, state: dict) -> Curves:
        """The curves stored in a checkpoint's state (layer sizes from its model where its history lacks them)."""
        config = RunConfig.from_dict(state["config"])
        counts = config.model.weight_counts(state["inputs"], state["outputs"])
        return cls(task=state["task"], steps_per_epoch=max(1, state["step"] // max(state["epoch"], 1)),
                   regularization=config.train.regularization,
                   epochs=[EpochMetrics.from_dict({"weight_counts": counts, **m}) for m in state["history"]],
                   steps=array("f", state["step_losses"].tolist()), best_epoch=state["best_epoch"])

    def add_epoch(self, metrics: EpochMetrics) -> None:
        self.epochs.append(metrics)
        for name in ("epoch", "step", "seconds"):
            self.columns[name].append(getattr(metrics, name))
        for name in SERIES:
            value = getattr(metrics, name)
            self.columns[name].append(math.nan if value is None else value)

    @property
    def latest_epoch(self) -> float:
        """The last finished epoch, or how far the recorded steps reach when none has finished."""
        return max(self.columns["epoch"][-1] if self.epochs else 0.0, len(self.steps) / self.steps_per_epoch)

    def timeline(self) -> Timeline:
        return Timeline.from_columns(self.columns["epoch"], self.columns["step"], self.columns["seconds"])

    def series(self, name: str, buckets: int, since: float = -math.inf) -> tuple[list[float], list[float]]:
        """An epoch series after epoch `since`, downsampled to at most `buckets` points."""
        epochs = np.frombuffer(self.columns["epoch"])
        first = int(np.searchsorted(epochs, since, side="right"))
        return downsample(epochs[first:], np.frombuffer(self.columns[name])[first:], buckets)

    def step_series(self, buckets: int, since: float = -math.inf) -> tuple[list[float], list[float]]:
        """Per-step training loss (always finite) after epoch `since`, x in epochs, as at most `buckets` means."""
        n = len(self.steps)
        first = min(n, max(0, math.floor(since * self.steps_per_epoch))) if math.isfinite(since) else 0
        if n - first <= 0:
            return [], []
        losses = np.frombuffer(self.steps, dtype=np.float32, count=n)[first:]
        count = n - first
        size = -(-count // buckets)
        whole = count - count % size
        means = losses[:whole].reshape(-1, size).mean(axis=1, dtype=np.float64)
        centres = first + np.arange(len(means)) * size + (size + 1) / 2
        if whole < count:
            means = np.append(means, losses[whole:].mean(dtype=np.float64))
            centres = np.append(centres, first + (whole + count + 1) / 2)
        return (centres / self.steps_per_epoch).tolist(), means.tolist()

    def overfit_since(self) -> int | None:
        """The onset of overfitting (see `engine.insights.overfit.overfit_onset`), worked out once per epoch."""
        if self._overfit[0] != len(self.epochs):
            self._overfit = (len(self.epochs), overfit_onset(
                self.columns["epoch"], self.columns["train_loss"], self.columns["val_loss"]))
        return self._overfit[1]


class ThemedPlot(PlotextPlot):
    """A plot that stays readable under ANSI themes (where plotext's automatic theme is black on black), and
    keeps its rows in line with double-width text (a Chinese title or legend)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plot = WidePlot()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._follow(theme.name))
        self._follow(self.app.theme)

    def _follow(self, name: str) -> None:
        self.theme = "clear" if name.startswith("ansi") else "auto"
        self.refresh()


@dataclass
class Curve:
    """One curve to draw: points in epochs (fractional for steps) and how to place them on other x axes."""

    points: tuple[list[float], list[float]]
    colors: tuple[Color, Color]
    label: str
    timeline: Timeline
    steps_per_epoch: int = 1


class OptionsChart(ThemedPlot):
    """A chart of curves drawn under the shared ChartOptions, with optional vertical marks (in epochs)."""

    def __init__(self, options: ChartOptions | None = None, **kwargs):
        super().__init__(**kwargs)
        self.options = options or ChartOptions()

    @property
    def buckets(self) -> int:
        """Points per curve: one per column."""
        return max(self.size.width, 40)

    def since(self, latest_epoch: float) -> float:
        """The epoch after which points are shown (the zoom)."""
        return latest_epoch - self.options.last_epochs if self.options.last_epochs else -math.inf

    def plot(self, title: str, curves: list[Curve], marks: list[tuple[float, Timeline]] = (),
             right: Curve | None = None) -> None:
        """Replace the plot with `curves`: each raw (faint when smoothed) and smoothed, legend on the bright one.

        `right` is drawn as it is (no smoothing, linear) against its own y axis on the right, from 0.
        """
        plt, options = self.plt, self.options
        plt.clear_data()
        plt.clear_figure()
        lows, highs = [], []
        for curve in curves:
            xs, ys = downsample(np.asarray(curve.points[0], dtype=np.float64),
                                np.asarray(curve.points[1], dtype=np.float64), self.buckets)
            line = shape_line(xs, ys, options, curve.timeline, curve.steps_per_epoch)
            raw_x, raw_y = line.raw
            if not raw_x:
                continue
            bright, faint = curve.colors
            if line.smooth is not None:
                plt.plot(raw_x, raw_y, color=faint, marker=MARKER)
                plt.plot(*line.smooth, color=bright, marker=MARKER, label=curve.label)
            else:
                plt.plot(raw_x, raw_y, color=bright, marker=MARKER, label=curve.label)
            lows.append(min(raw_y))
            highs.append(max(raw_y))
        if right is not None:
            xs, ys = downsample(np.asarray(right.points[0], dtype=np.float64),
                                np.asarray(right.points[1], dtype=np.float64), self.buckets)
            line = shape_line(xs, ys, replace(options, smoothing=0.0, log_y=False), right.timeline,
                              right.steps_per_epoch)
            if line.raw[0]:
                plt.plot(*line.raw, color=right.colors[0], marker=MARKER, label=right.label, yside="right")
                plt.ylim(0, max(line.raw[1]) * 1.05, yside="right")  # from 0: a rate falling reads as one
        for epoch, timeline in marks:
            plt.vline(float(timeline.convert([epoch], options.x_axis)[0]), BEST_COLOR)
        ticks = y_ticks(min(lows), max(highs), options.log_y) if lows else None
        if ticks is not None:
            plt.yticks(*ticks)
        plt.title(title)
        plt.xlabel(Timeline.label(options.x_axis))
        self.refresh()


class LossChart(OptionsChart):
    """Training loss per step, training and validation loss per epoch, the best epoch."""

    def draw(self, curves: Curves) -> None:
        penalty = {"l1": "L1", "l2": "L2"}.get(curves.regularization)
        # the data loss, as the trainer records it
        parts = [_("loss excl. {penalty} penalty").format(penalty=penalty) if penalty else _("loss")]
        if curves.best_epoch:
            parts.append(_("best epoch {epoch}").format(epoch=curves.best_epoch))
        onset = curves.overfit_since()
        if onset is not None:
            parts.append(_("overfitting since {epoch}").format(epoch=onset))
        title = fit_parts(parts, self.size.width - TITLE_MARGIN, " | ")  # plotext drops a title that overflows
        since, timeline, spe = self.since(curves.latest_epoch), curves.timeline(), curves.steps_per_epoch
        self.plot(title, [
            Curve(curves.step_series(self.buckets, since), STEP_COLOR, _("step"), timeline, spe),
            Curve(curves.series("train_loss", self.buckets, since), TRAIN_COLOR, _("train"), timeline, spe),
            Curve(curves.series("val_loss", self.buckets, since), VAL_COLOR, _("val"), timeline, spe),
        ], [(curves.best_epoch, timeline)] if curves.best_epoch > since else [])


class MetricChart(OptionsChart):
    """Accuracy (classification) or validation MAE (regression) per epoch, and the learning rate on the right."""

    def draw(self, curves: Curves) -> None:
        since, timeline, spe = self.since(curves.latest_epoch), curves.timeline(), curves.steps_per_epoch
        marks = [(curves.best_epoch, timeline)] if curves.best_epoch > since else []
        lr = Curve(curves.series("lr", self.buckets, since), LR_COLOR, _("lr (right)"), timeline, spe)
        if curves.task == "classification":
            self.plot(_("accuracy"), [
                Curve(curves.series("train_acc", self.buckets, since), TRAIN_COLOR, _("train"), timeline, spe),
                Curve(curves.series("val_acc", self.buckets, since), VAL_COLOR, _("val"), timeline, spe),
            ], marks, lr)
        else:
            self.plot(_("validation MAE (target units)"), [
                Curve(curves.series("val_mae", self.buckets, since), VAL_COLOR, _("val"), timeline, spe),
            ], marks, lr)
