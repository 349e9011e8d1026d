"""The loss landscape view: the loss over a slice of parameter space in contour bands, the optimizer's path on it.

The bands are equal steps of log10(loss), dark (low) to bright (high). The path is drawn as recorded, one
point per step (y = b + w x) or per epoch: its last RECENT points joined by dotted segments (where a too-large
learning rate zig-zags), older ones as faint dots, with the start, the current weights and, for a line, the
least-squares (w, b) marked.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tui_dl.engine.insights.views import Landscape
from tui_dl.i18n import _, ngettext
from tui_dl.ui.widgets.insights.heatmap import RGB, HeatmapView, blend, heat_lines
from tui_dl.ui.widgets.insights.plane import LEVELS, scale_rgb

OLD, SEGMENT, POINT, MINIMUM, START, NOW = range(6)  # marks, later ones drawn over earlier ones
GLYPHS = "··•✕○●"
RECENT = 48  # path points joined by segments; older ones are faint dots
NOW_RGB = (255, 70, 70)
BAND_AMOUNT = 0.75  # cells are this far from the background towards their band's colour
TITLE_LINES = 2  # the title above the map, wrapped
TEXT_LINES = TITLE_LINES + 2  # and the legend and the axes below it


def loss_levels(loss: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Each cell's band (0..LEVELS-1) on the log10 scale from the lowest to the highest loss, and those two."""
    logs = np.log10(np.maximum(loss, 1e-30))
    low, high = float(logs.min()), float(logs.max())
    span = high - low if high > low else 1.0
    return np.clip(((logs - low) / span * LEVELS).astype(int), 0, LEVELS - 1), 10 ** low, 10 ** high


def _cells(points: np.ndarray, land: Landscape, rows: int, cols: int) -> np.ndarray:
    """Points' (column, row) on the grid, as floats."""
    (x0, x1), (y0, y1) = land.x_range, land.y_range
    return np.stack([(points[:, 0] - x0) / (x1 - x0) * (cols - 1), (y1 - points[:, 1]) / (y1 - y0) * (rows - 1)], 1)


def _segment_cells(cells: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Cells along the segments joining consecutive points, clipped to the grid (Liang-Barsky)."""
    start, delta = cells[:-1], np.diff(cells, axis=0)
    low, high = np.zeros(len(delta)), np.ones(len(delta))
    visible = np.ones(len(delta), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis, size in ((0, cols - 1), (1, rows - 1)):
            for p, q in ((-delta[:, axis], start[:, axis]), (delta[:, axis], size - start[:, axis])):
                ratio = q / p
                low = np.where(p < 0, np.maximum(low, ratio), low)
                high = np.where(p > 0, np.minimum(high, ratio), high)
                visible &= ~((p == 0) & (q < 0))
    visible &= low <= high
    a, b = start + delta * low[:, None], start + delta * high[:, None]
    a, b = a[visible], b[visible]
    counts = np.ceil(np.abs(b - a).max(axis=1, initial=0) * 2).astype(int) + 1
    which = np.repeat(np.arange(len(a)), counts)
    t = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) / np.repeat(np.maximum(counts - 1, 1),
                                                                                              counts)
    return a[which] + (b - a)[which] * t[:, None]


def path_marks(land: Landscape, rows: int, cols: int) -> dict[tuple[int, int], int]:
    """The mark at each (line, column) of a grid drawn two rows per line: the path and its special points."""
    marks: dict[tuple[int, int], int] = {}

    def put(cells: np.ndarray, mark: int) -> None:
        inside = (cells[:, 0] > -0.5) & (cells[:, 0] < cols - 0.5) & (cells[:, 1] > -0.5) & (cells[:, 1] < rows - 0.5)
        for col, row in np.rint(cells[inside]).astype(int):
            marks[(int(row) // 2, int(col))] = mark

    cells = _cells(land.path, land, rows, cols)
    recent = cells[-RECENT:]
    put(cells[:-RECENT], OLD)
    if len(recent) > 1:
        put(_segment_cells(recent, rows, cols), SEGMENT)
        put(recent[:-1], POINT)
    if land.minimum is not None:
        put(_cells(np.array([land.minimum]), land, rows, cols), MINIMUM)
    if land.kind != "random":
        put(cells[:1], START)
    put(cells[-1:], NOW)
    return marks


def landscape_lines(land: Landscape, width: int, height: int, background: RGB) -> list[list[Segment]]:
    """The loss in bands with the path marked over it."""
    rows, cols = land.loss.shape
    levels, _, _ = loss_levels(land.loss)
    ink = _ink(background)

    def style(mark: int, below: Color) -> Style:
        color = (Color.from_rgb(*NOW_RGB) if mark == NOW else blend(ink, below.triplet, 0.45) if mark == OLD
                 else Color.from_rgb(*ink))
        return Style(color=color, bgcolor=below, bold=mark not in (OLD, SEGMENT))

    return heat_lines(levels, path_marks(land, rows, cols),
                      lambda level: blend(scale_rgb(level), background, BAND_AMOUNT), style,
                      width, height, glyph=GLYPHS.__getitem__)


def _ink(background: RGB) -> RGB:
    """The path's colour: white on a dark theme, near-black on a light one."""
    return (250, 250, 250) if sum(background) < 384 else (20, 20, 20)


def _samples(land: Landscape) -> str:
    if land.samples == land.train_samples:
        return _("all {n} training samples").format(n=f"{land.samples:,}")
    return _("{n} of the {total} training samples (a fixed subset)").format(n=f"{land.samples:,}",
                                                                             total=f"{land.train_samples:,}")


def describe(land: Landscape) -> str:
    """What the map is: which slice, and on which samples the loss is computed."""
    where = _("{loss} on {samples}").format(loss=_(land.loss_name), samples=_samples(land))
    if land.kind == "line":
        return _("loss L(w, b) of y = b + w·x ({where}; x and y standardized, as the model sees them)").format(
            where=where)
    parameters = f"{land.parameters:,}"
    if land.kind == "pca":
        first, second = land.explained
        return _("loss on a 2-D slice through all {parameters} parameters along the path's 2 main directions (PCA: "
                 "{first} and {second} of its variance), {where}").format(
            parameters=parameters, first=f"{first:.0%}", second=f"{second:.0%}", where=where)
    return _("loss on a 2-D slice through all {parameters} parameters along 2 filter-normalized random directions "
             "(Li et al. 2018; the path is too short for PCA yet), {where}").format(parameters=parameters, where=where)


def legend(land: Landscape, background: RGB) -> list[Segment]:
    """The bands' range and the marks."""
    _levels, low, high = loss_levels(land.loss)
    ink = Style(color=Color.from_rgb(*_ink(background)), bold=True)
    bar = [Segment("█", Style(color=blend(scale_rgb(level), background, BAND_AMOUNT))) for level in range(LEVELS)]
    segments = [Segment(f"{_(land.loss_name)} {low:.3g} "), *bar, Segment(f" {high:.3g} " + _("(log)") + "  ")]
    segments += [Segment("●", Style(color=Color.from_rgb(*NOW_RGB), bold=True)),
                 Segment(" " + _("now {loss}").format(loss=f"{land.now_loss:.3g}") + "  ")]
    if land.kind != "random":
        segments += [Segment("○", ink), Segment(f" {_('start')}  "), Segment("•·", ink), Segment(f" {_('path')}  ")]
    if land.minimum is not None:
        segments += [Segment("✕", ink), Segment(f" {_('minimum')}  ")]
    return segments


def _number(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def axes(land: Landscape) -> str:
    """What the axes are and span, where the weights are now, and how much path is drawn."""
    (x0, x1), (y0, y1) = land.x_range, land.y_range
    now = land.path[-1]
    if land.kind == "line":
        where = _("w {w0} … {w1} across, b {b0} … {b1} up; now w = {w}, b = {b}").format(
            w0=_number(x0), w1=_number(x1), b0=_number(y0), b1=_number(y1), w=_number(now[0]), b=_number(now[1]))
        path = ngettext("path of {n} step", "path of {n} steps", land.recorded)
    elif land.kind == "pca":
        where = _("1st direction {x0} … {x1} across, 2nd {y0} … {y1} up").format(
            x0=_number(x0), x1=_number(x1), y0=_number(y0), y1=_number(y1))
        path = ngettext("path of {n} epoch", "path of {n} epochs", land.recorded)
    else:
        return _("the current weights in the middle, ±{x} × each direction across, ±{y} × up").format(
            x=_number(x1), y=_number(y1))
    (px, py) = land.path.T
    off = int(np.sum((px < x0) | (px > x1) | (py < y0) | (py > y1)))
    points = ngettext("{n} point", "{n} points", len(land.path)).format(n=f"{len(land.path):,}")
    beyond = _(", {n} off the map").format(n=f"{off:,}") if off else ""
    return _("{where}; {path}, {points}{beyond}").format(where=where, path=path.format(n=f"{land.recorded:,}"),
                                                         points=points, beyond=beyond)


class LandscapeView(HeatmapView):
    """The latest loss landscape with its title, legend and axes; a note while there is none."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.landscape: Landscape | None = None
        self.note = _("the loss landscape appears here while a model trains")

    @property
    def grid_size(self) -> tuple[int, int]:
        """The grid (cols, rows) that fills the map: two grid rows per terminal line."""
        return max(self.size.width, 20), max(2 * (self.size.height - TEXT_LINES), 10)

    def show(self, land: Landscape | None, note: str) -> None:
        self.landscape, self.note = land, note
        self.rebuild()

    def lines(self, background: RGB) -> list[list[Segment]]:
        land = self.landscape
        if land is None:
            return [[Segment(self.note)]]
        height = max(self.size.height - TEXT_LINES, 0)
        width = max(self.size.width, 20)
        title = [line.plain.rstrip() for line in Text(self.note).wrap(self.app.console, width)][:TITLE_LINES]
        title += [""] * (TITLE_LINES - len(title))
        return [*([Segment(line, Style(bold=True))] for line in title),
                *landscape_lines(land, self.size.width, height, background), legend(land, background),
                [Segment(axes(land))]]
