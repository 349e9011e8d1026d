"""Chart options (smoothing, log y, x axis, zoom) and the pure maths that turns a curve into what a chart draws.

Plain numpy, no Textual or plotext: log-scale y is drawn by plotting log10 of the data with tick labels in real
units (plotext's own log scale breaks after one render), like TensorBoard's scalar dashboard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike

from tui_dl.i18n import N_, _, ngettext

X_AXES = (N_("epoch"), N_("step"), N_("time"))  # also the words the options line shows, translated
ZOOMS = (0, 10, 25, 50, 100, 250)  # last N epochs; 0 = all epochs
SMOOTHING_MAX = 0.99
# Above 0.9 a key press moves one notch along these: the weights that matter for noisy per-step losses.
FINE_SMOOTHING = (0.9, 0.95, SMOOTHING_MAX)
_EPS = 1e-9
_AXIS_LABELS = {"epoch": N_("epoch"), "step": N_("step"), "time": N_("time (s)")}
_T = TypeVar("_T")


@dataclass
class ChartOptions:
    """How the charts draw their curves; changed from the keyboard."""

    smoothing: float = 0.6  # EMA weight, 0 = off (TensorBoard's default is 0.6)
    log_y: bool = False
    x_axis: str = "epoch"
    last_epochs: int = 0  # 0 = all

    def adjust_smoothing(self, delta: float) -> None:
        """Add `delta` to the smoothing weight, clamped to [0, SMOOTHING_MAX] and rounded to 2 decimals.

        Going up stops at 0.9 first; from 0.9 up (or from above 0.9 down) each call moves one notch along
        0.9, 0.95, 0.99 whatever the size of `delta`, so both 0.95 and 0.99 can be reached.
        """
        s = self.smoothing
        if delta > 0:
            if s >= FINE_SMOOTHING[0] - _EPS:
                value = next((f for f in FINE_SMOOTHING if f > s + _EPS), SMOOTHING_MAX)
            else:
                value = min(s + delta, FINE_SMOOTHING[0])
        elif delta < 0:
            if s > FINE_SMOOTHING[0] + _EPS:
                value = max(f for f in FINE_SMOOTHING if f < s - _EPS)
            else:
                value = s + delta
        else:
            value = s
        self.smoothing = round(min(max(value, 0.0), SMOOTHING_MAX), 2)

    def cycle_x_axis(self) -> None:
        """Switch to the next x axis: epoch, step, time, then epoch again."""
        self.x_axis = _next(X_AXES, self.x_axis)

    def cycle_zoom(self) -> None:
        """Switch to the next zoom: all epochs, last 10, 25, 50, 100, 250, then all again."""
        self.last_epochs = _next(ZOOMS, self.last_epochs)

    def describe(self) -> str:
        """A short status line, e.g. "smoothing 0.60 · linear y · x: epoch · all epochs"."""
        smoothing = _("smoothing {weight:.2f}").format(weight=self.smoothing) if self.smoothing else _("smoothing off")
        zoom = (ngettext("last {n} epoch", "last {n} epochs", self.last_epochs).format(n=self.last_epochs)
                if self.last_epochs else _("all epochs"))
        y = _("log y") if self.log_y else _("linear y")
        return f"{smoothing} · {y} · x: {_(self.x_axis)} · {zoom}"


def _next(values: tuple[_T, ...], current: _T) -> _T:
    """The value after `current` in `values`, wrapping around (the first one when `current` is not there)."""
    i = values.index(current) if current in values else -1
    return values[(i + 1) % len(values)]


@dataclass
class Timeline:
    """Maps fractional epochs to steps or to cumulative training seconds (piecewise linear through the origin)."""

    epoch_ends: np.ndarray  # epoch numbers 1..E (float64, increasing)
    step_ends: np.ndarray  # global step count at the end of each epoch
    second_ends: np.ndarray  # cumulative seconds at the end of each epoch

    @classmethod
    def from_columns(cls, epochs: ArrayLike, steps: ArrayLike, seconds_per_epoch: ArrayLike) -> Timeline:
        """A timeline from per-epoch columns; `seconds_per_epoch` are durations, summed here."""
        return cls(np.asarray(epochs, dtype=np.float64), np.asarray(steps, dtype=np.float64),
                   np.cumsum(np.asarray(seconds_per_epoch, dtype=np.float64)))

    def convert(self, x_epochs: ArrayLike, axis: str, steps_per_epoch: int = 1) -> np.ndarray:
        """`x_epochs` on `axis` ("epoch", "step" or "time").

        Between epoch ends (and from the origin to the first) values are interpolated; past the last epoch end
        they are extrapolated at the last epoch's rate. Before any epoch has ended there is nothing to go by:
        the step axis then uses `steps_per_epoch`, and the time axis gives NaN (a chart drops those points).
        """
        x = np.array(x_epochs, dtype=np.float64)
        if axis == "epoch":
            return x
        if axis not in _AXIS_LABELS:
            raise ValueError(f"unknown x axis {axis!r}; expected one of {', '.join(X_AXES)}")
        if len(self.epoch_ends) == 0:
            return x * steps_per_epoch if axis == "step" else np.full_like(x, np.nan)
        xp = np.concatenate([[0.0], self.epoch_ends])
        fp = np.concatenate([[0.0], self.step_ends if axis == "step" else self.second_ends])
        out = np.interp(x, xp, fp)
        beyond = x > xp[-1]
        rate = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
        out[beyond] = fp[-1] + (x[beyond] - xp[-1]) * rate
        return out

    @staticmethod
    def label(axis: str) -> str:
        """The axis title: "epoch", "step" or "time (s)"."""
        return _(_AXIS_LABELS[axis])


@dataclass
class Line:
    """One curve as drawn: the raw points (dim, behind) and their EMA (None when smoothing is off)."""

    raw: tuple[list[float], list[float]]
    smooth: tuple[list[float], list[float]] | None


def ema(values: ArrayLike, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average; NaN entries stay NaN and do not break the average of later points.

    Any non-finite entry is passed through unchanged and skipped by the average. Weight 0 returns a copy.
    """
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    if weight <= 0:
        return out
    last, count = 0.0, 0
    for i, v in enumerate(values):
        if not math.isfinite(v):
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out[i] = last / (1 - weight ** count)
    return out


def shape_line(x_epochs: ArrayLike, ys: ArrayLike, options: ChartOptions, timeline: Timeline,
               steps_per_epoch: int = 1) -> Line:
    """The line to draw for points (`x_epochs`, `ys`) under `options`' y scale, smoothing and x axis.

    Non-finite points are dropped, and with `log_y` also non-positive ones, then y becomes log10(y): smoothing
    applies to what is drawn, as in TensorBoard. x goes onto the chosen axis last (see `Timeline.convert`);
    points it cannot place (time before any epoch) are dropped. The zoom (`last_epochs`) is the caller's: it
    picks the points before downsampling them to the chart's width, so a zoomed chart keeps its detail.
    """
    x = np.asarray(x_epochs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    if options.log_y:
        keep &= y > 0
    x, y = x[keep], y[keep]
    if options.log_y:
        y = np.log10(y)
    smooth = ema(y, options.smoothing) if options.smoothing > 0 else None
    x = timeline.convert(x, options.x_axis, steps_per_epoch)
    keep = np.isfinite(x)
    xs = x[keep].tolist()
    return Line((xs, y[keep].tolist()), None if smooth is None else (xs, smooth[keep].tolist()))


def y_ticks(lo: float, hi: float, log_y: bool, count: int = 5) -> tuple[list[float], list[str]] | None:
    """Tick positions and labels in real units for a y axis from `lo` to `hi`; None without `log_y`.

    With `log_y`, `lo` and `hi` are log10 values and so are the positions. Spans of 3 decades or more get
    whole decades (every k-th one when there are more than `count`); spans of 1 to 3 decades also get the
    2 and 5 multiples; spans under a decade get `count` evenly spaced positions labelled with 10**p ('%.3g').
    None too when `lo` or `hi` is not finite.
    """
    if not log_y or not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    lo, hi = min(lo, hi), max(lo, hi)
    span = hi - lo
    if span < 1:
        positions = [lo] if span == 0 else np.linspace(lo, hi, count).tolist()
        return positions, [f"{10 ** p:.3g}" for p in positions]
    first, last = math.ceil(lo - _EPS), math.floor(hi + _EPS)
    if span >= 3:
        every = max(1, math.ceil((last - first + 1) / count))
        ticks = [(float(d), 1) for d in range(first, last + 1) if d % every == 0]
    else:
        ticks = [(d + math.log10(m), m) for d in range(first - 1, last + 1) for m in (1, 2, 5)]
        ticks = [(p, m) for p, m in ticks if lo - _EPS <= p <= hi + _EPS]
    positions = [p for p, _ in ticks]
    return positions, [f"{m * 10.0 ** math.floor(p + _EPS):g}" for p, m in ticks]
