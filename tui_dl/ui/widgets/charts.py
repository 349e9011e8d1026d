"""Live training charts: loss (per step and per epoch) and accuracy / error, drawn with plotext."""

from __future__ import annotations

import math
import warnings
from array import array
from dataclasses import dataclass, field

import numpy as np

from textual_plotext import PlotextPlot

from tui_dl.engine.events import EpochMetrics
from tui_dl.engine.metrics import overfit_onset

TRAIN_COLOR = "cyan"
VAL_COLOR = "orange"
STEP_COLOR = "gray"
BEST_COLOR = "green"
# Quarter-block markers draw a curve at half the cost of braille; one point per column is enough.
MARKER = "hd"


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


SERIES = ("train_loss", "val_loss", "train_acc", "val_acc", "val_mae")


@dataclass
class Curves:
    """Everything the charts draw: epoch metrics (also as float columns) and per-step training losses."""

    task: str = "classification"
    steps_per_epoch: int = 1
    epochs: list[EpochMetrics] = field(default_factory=list)
    steps: array = field(default_factory=lambda: array("f"))
    best_epoch: int = 0
    columns: dict[str, array] = field(default_factory=lambda: {name: array("d") for name in ("epoch", *SERIES)})

    def __post_init__(self) -> None:
        history, self.epochs = self.epochs, []
        for metrics in history:
            self.add_epoch(metrics)

    @classmethod
    def from_checkpoint(cls, state: dict) -> Curves:
        """The curves stored in a checkpoint's state."""
        return cls(task=state["task"], steps_per_epoch=max(1, state["step"] // max(state["epoch"], 1)),
                   epochs=[EpochMetrics(**m) for m in state["history"]],
                   steps=array("f", state["step_losses"].tolist()), best_epoch=state["best_epoch"])

    def add_epoch(self, metrics: EpochMetrics) -> None:
        self.epochs.append(metrics)
        self.columns["epoch"].append(metrics.epoch)
        for name in SERIES:
            value = getattr(metrics, name)
            self.columns[name].append(math.nan if value is None else value)

    def series(self, name: str, buckets: int) -> tuple[list[float], list[float]]:
        """An epoch series downsampled to at most `buckets` points."""
        return downsample(np.frombuffer(self.columns["epoch"]), np.frombuffer(self.columns[name]), buckets)

    def step_series(self, buckets: int) -> tuple[list[float], list[float]]:
        """Per-step training loss (always finite), x in epochs, as at most `buckets` bucket means."""
        n = len(self.steps)
        if n == 0:
            return [], []
        losses = np.frombuffer(self.steps, dtype=np.float32, count=n)
        size = -(-n // buckets)
        whole = n - n % size
        means = losses[:whole].reshape(-1, size).mean(axis=1, dtype=np.float64)
        centres = np.arange(len(means)) * size + (size + 1) / 2
        if whole < n:
            means = np.append(means, losses[whole:].mean(dtype=np.float64))
            centres = np.append(centres, (whole + n + 1) / 2)
        return (centres / self.steps_per_epoch).tolist(), means.tolist()

    def overfit_since(self) -> int | None:
        return overfit_onset(self.epochs)


class ThemedPlot(PlotextPlot):
    """A plot that stays readable under ANSI themes (where plotext's automatic theme is black on black)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._follow(theme.name))
        self._follow(self.app.theme)

    def _follow(self, name: str) -> None:
        self.theme = "clear" if name.startswith("ansi") else "auto"
        self.refresh()


class EpochChart(ThemedPlot):
    """A chart of curves over epochs, with the best epoch marked: what both training charts share."""

    def plot_curves(self, curves: Curves, title: str,
                    lines: list[tuple[tuple[list[float], list[float]], str, str]]) -> None:
        """Replace the plot with `lines` ((xs, ys), color, label), the best-epoch line and `title`."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        for (xs, ys), color, label in lines:
            if xs:
                plt.plot(xs, ys, color=color, marker=MARKER, label=label)
        if curves.best_epoch:
            plt.vline(curves.best_epoch, BEST_COLOR)
        plt.title(title)
        plt.xlabel("epoch")
        self.refresh()

    @property
    def buckets(self) -> int:
        """Points per series: one per column."""
        return max(self.size.width, 40)


class LossChart(EpochChart):
    """Training loss per step (downsampled), training and validation loss per epoch, the best epoch."""

    def draw(self, curves: Curves) -> None:
        title = "loss"
        if curves.best_epoch:
            title += f" | best epoch {curves.best_epoch}"
        onset = curves.overfit_since()
        if onset is not None:
            title += f" | overfitting since {onset}"
        self.plot_curves(curves, title, [
            (curves.step_series(self.buckets), STEP_COLOR, "step"),
            (curves.series("train_loss", self.buckets), TRAIN_COLOR, "train"),
            (curves.series("val_loss", self.buckets), VAL_COLOR, "val"),
        ])


class MetricChart(EpochChart):
    """Accuracy (classification) or validation MAE (regression) per epoch."""

    def draw(self, curves: Curves) -> None:
        if curves.task == "classification":
            self.plot_curves(curves, "accuracy", [
                (curves.series("train_acc", self.buckets), TRAIN_COLOR, "train"),
                (curves.series("val_acc", self.buckets), VAL_COLOR, "val"),
            ])
        else:
            self.plot_curves(curves, "validation MAE (target units)", [
                (curves.series("val_mae", self.buckets), VAL_COLOR, "val"),
            ])
