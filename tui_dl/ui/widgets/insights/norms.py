"""The norms view: each layer's weight and gradient size per epoch, and whether gradients vanish.

Layers of different sizes are compared by their RMS per element (Frobenius norm / sqrt(elements)): a wide
first layer's norm sums many more elements than the output layer's, which would hide a vanishing gradient.
Records without layer sizes (written before tui-dl recorded them) fall back to Frobenius norms, and say so.
"""

from __future__ import annotations

import math

import numpy as np

from tui_dl.engine.events import EpochMetrics
from tui_dl.i18n import _
from tui_dl.ui.series import y_ticks
from tui_dl.ui.widgets.charts import MARKER, RUN_COLORS, Curves, ThemedPlot, downsample


def has_sizes(metrics: EpochMetrics) -> bool:
    """Whether an epoch's record holds the layer sizes its norms need to become RMS values."""
    counts = metrics.weight_counts
    return bool(counts) and len(counts) == len(metrics.grad_norms or metrics.weight_norms or ()) and min(counts) > 0


def layer_values(metrics: EpochMetrics, key: str, rms: bool) -> list[float]:
    """One epoch's per-layer `key` ("weight_norms" or "grad_norms"): RMS per element, or the Frobenius norms."""
    norms = getattr(metrics, key) or []
    return [n / math.sqrt(c) for n, c in zip(norms, metrics.weight_counts)] if rms else list(norms)


class NormsChart(ThemedPlot):
    """One line per layer over epochs, log scale: weight or gradient RMS per element (or norms)."""

    def __init__(self, key: str, what: str, **kwargs):
        """`what`: the quantity's English name (marked with N_), shown translated."""
        super().__init__(**kwargs)
        self.key, self.what = key, what

    def draw(self, curves: Curves) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        recorded = [m for m in curves.epochs if getattr(m, self.key)]
        rms = bool(recorded) and all(has_sizes(m) for m in recorded)  # one quantity per chart
        plt.title(_("{what} {unit} per layer (log)").format(what=_(self.what), unit="RMS" if rms else _("norm")))
        plt.xlabel(_("epoch"))
        if recorded:
            rows = [layer_values(m, self.key, rms) for m in recorded]
            epochs = np.array([m.epoch for m in recorded], dtype=np.float64)
            layers = min(len(r) for r in rows)
            values = np.array([r[:layers] for r in rows], dtype=np.float64)
            with np.errstate(divide="ignore"):
                logs = np.log10(values)
            for layer in range(layers):
                xs, ys = downsample(epochs, np.where(np.isfinite(logs[:, layer]), logs[:, layer], np.nan),
                                    max(self.size.width, 40))
                name = _("output") if layer == layers - 1 else _("layer {layer}").format(layer=layer + 1)
                plt.plot(xs, ys, color=RUN_COLORS[layer % len(RUN_COLORS)], marker=MARKER, label=name)
            finite = logs[np.isfinite(logs)]
            ticks = y_ticks(float(finite.min()), float(finite.max()), True) if finite.size else None
            if ticks is not None:
                plt.yticks(*ticks)
        self.refresh()


def gradient_note(curves: Curves) -> str:
    """How much gradient reaches the first layer compared with the output layer, in words, and what is shown."""
    latest = next((m for m in reversed(curves.epochs) if m.grad_norms), None)
    if latest is None or len(latest.grad_norms) < 2:
        return _("per-layer norms appear after the first epoch")
    rms = has_sizes(latest)
    values = layer_values(latest, "grad_norms", rms)
    first, last = values[0], values[-1]
    ratio = first / last if last > 0 else math.inf
    verdict = (_("[b $error]vanishing[/]: the first layers barely learn (saturated sigmoids? try ReLU)") if ratio < 0.01
               else _("[b $warning]shrinking[/] towards the input") if ratio < 0.1
               else _("[b $success]healthy[/]: it reaches the first layer"))
    unit = "RMS" if rms else _("norm")
    what = (_("RMS = Frobenius norm / sqrt(weights): comparable across layer sizes") if rms
            else _("Frobenius norms: this run's records lack layer sizes, so wide layers look larger"))
    return _("epoch {epoch}: gradient at layer 1 = {ratio}x the output layer's ({first} vs {last} {unit}), {verdict}\n"
             "[dim]{what}; last batch of each epoch[/]").format(
        epoch=latest.epoch, ratio=f"{ratio:.3g}", first=f"{first:.3g}", last=f"{last:.3g}", unit=unit,
        verdict=verdict, what=what)
