"""Live training charts: loss (per step and per epoch) and accuracy / error, drawn with plotext."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from textual_plotext import PlotextPlot

from tui_dl.engine.events import EpochMetrics
from tui_dl.engine.metrics import overfit_onset

TRAIN_COLOR = "cyan"
VAL_COLOR = "orange"
STEP_COLOR = "gray"
BEST_COLOR = "green"
OVERFIT_COLOR = "red"


def downsample(values: array, steps_per_epoch: int, buckets: int) -> tuple[list[float], list[float]]:
    """Mean of `values` in at most `buckets` equal runs, with x in epochs (cost O(len), output O(buckets))."""
    import numpy as np

    n = len(values)
    if n == 0:
        return [], []
    data = np.frombuffer(values, dtype=np.float32, count=n)
    size = max(1, -(-n // max(buckets, 1)))
    whole = n - n % size
    means = data[:whole].reshape(-1, size).mean(axis=1)
    centres = np.arange(len(means)) * size + (size + 1) / 2
    if whole < n:
        means = np.append(means, data[whole:].mean())
        centres = np.append(centres, (whole + n + 1) / 2)
    return (centres / steps_per_epoch).tolist(), means.tolist()


@dataclass
class Curves:
    """Everything the charts draw: epoch metrics and per-step training losses."""

    task: str = "classification"
    steps_per_epoch: int = 1
    epochs: list[EpochMetrics] = field(default_factory=list)
    steps: array = field(default_factory=lambda: array("f"))
    best_epoch: int = 0

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


class LossChart(ThemedPlot):
    """Training loss per step (downsampled), training and validation loss per epoch, the best epoch."""

    def draw(self, curves: Curves) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        xs, ys = downsample(curves.steps, curves.steps_per_epoch, max(self.size.width * 2, 20))
        if xs:
            plt.plot(xs, ys, color=STEP_COLOR, marker="braille", label="step")
        if curves.epochs:
            epochs = [m.epoch for m in curves.epochs]
            plt.plot(epochs, [m.train_loss for m in curves.epochs], color=TRAIN_COLOR, marker="braille", label="train")
            val = [(m.epoch, m.val_loss) for m in curves.epochs if m.val_loss is not None]
            if val:
                plt.plot([e for e, _ in val], [v for _, v in val], color=VAL_COLOR, marker="braille", label="val")
        title = "loss"
        if curves.best_epoch:
            plt.vline(curves.best_epoch, BEST_COLOR)
            title += f" | best epoch {curves.best_epoch}"
        onset = curves.overfit_since()
        if onset is not None:
            title += f" | overfitting since {onset}"
        plt.title(title)
        plt.xlabel("epoch")
        self.refresh()


class MetricChart(ThemedPlot):
    """Accuracy (classification) or validation MAE (regression) per epoch."""

    def draw(self, curves: Curves) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        epochs = curves.epochs
        if curves.task == "classification":
            plt.title("accuracy")
            if epochs:
                plt.plot([m.epoch for m in epochs], [m.train_acc or 0.0 for m in epochs], color=TRAIN_COLOR,
                         marker="braille", label="train")
                val = [(m.epoch, m.val_acc) for m in epochs if m.val_acc is not None]
                if val:
                    plt.plot([e for e, _ in val], [v for _, v in val], color=VAL_COLOR, marker="braille", label="val")
        else:
            plt.title("validation MAE (target units)")
            val = [(m.epoch, m.val_mae) for m in epochs if m.val_mae is not None]
            if val:
                plt.plot([e for e, _ in val], [v for _, v in val], color=VAL_COLOR, marker="braille", label="val")
        if curves.best_epoch:
            plt.vline(curves.best_epoch, BEST_COLOR)
        plt.xlabel("epoch")
        self.refresh()
