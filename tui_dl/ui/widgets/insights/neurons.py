"""The neuron maps view: what each hidden neuron of a 2-D model responds to over the plane, layer by layer, as
TensorFlow Playground draws them, beside the output's map (the decision boundary or the predicted value).

Each map is scaled to its own largest |activation|: orange below 0, blue above, the background at 0. As many
neurons as fit are drawn, those with the largest outgoing weights first, each named by its number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from tui_dl.engine.insights.views import Boundary, NeuronMaps
from tui_dl.i18n import _
from tui_dl.ui.cells import crop
from tui_dl.ui.widgets.insights.heatmap import RGB, HeatmapView, blend, heat_lines
from tui_dl.ui.widgets.insights.plane import CLASS_RGB, plane_lines

TILE_LINES = (8, 7, 6, 5, 4, 3)  # tile heights tried, largest first; a tile is twice as many columns wide
SIDE = 6  # shades on each side of 0
GAP = 2  # columns between the output map and the neurons' maps


def describe(maps: NeuronMaps) -> str:
    """What the view shows."""
    across, up = maps.output.feature_names[:2]
    return _("what each hidden neuron responds to over the plane ({across} across, {up} up)").format(across=across, up=up)


def tile_keys(activations: np.ndarray) -> np.ndarray:
    """Each cell's shade key 0..2*SIDE (SIDE is 0): the activation over the map's largest |activation|."""
    top = float(np.abs(activations).max(initial=0.0))
    return np.rint(activations / (top if top > 0 else 1.0) * SIDE).astype(int) + SIDE


def tile_color(key: int, background: RGB):
    """Orange for negative keys, blue for positive, stronger further from 0."""
    level = key - SIDE
    return blend(CLASS_RGB[1] if level > 0 else CLASS_RGB[0], background, 0.9 * abs(level) / SIDE)


def _resample(grid: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """`grid` at `rows` x `cols`, nearest cell."""
    r = np.rint(np.linspace(0, grid.shape[0] - 1, rows)).astype(int)
    c = np.rint(np.linspace(0, grid.shape[1] - 1, cols)).astype(int)
    return grid[np.ix_(r, c)]


@dataclass
class Layout:
    """How the neurons' maps fill their area: tile height (lines), tiles per row, rows of tiles per layer."""

    tile: int
    per_row: int
    rows: list[int]  # per layer shown (layers beyond the list do not fit)

    def shown(self, counts: list[int]) -> list[int]:
        """How many neurons of each shown layer are drawn."""
        return [min(n, r * self.per_row) for n, r in zip(counts, self.rows)]


def layout(counts: list[int], width: int, height: int) -> Layout:
    """The largest tiles that fit every neuron of `counts` (maps per layer) in `width` x `height`, else the
    smallest tiles with rows shared out among the layers, first layers first."""
    def lines(tile: int, rows: list[int]) -> int:
        return sum(1 + r * (tile + 1) for r in rows)  # a header per layer, a label line under each row of tiles

    for tile in TILE_LINES:
        per_row = (width + 1) // (2 * tile + 1)
        if per_row:
            rows = [math.ceil(n / per_row) for n in counts]
            if lines(tile, rows) <= height:
                return Layout(tile, per_row, rows)
    tile = TILE_LINES[-1]
    per_row = max((width + 1) // (2 * tile + 1), 1)
    rows: list[int] = []
    for _layer in counts:  # one row each while they fit
        if lines(tile, [*rows, 1]) > height:
            break
        rows.append(1)
    wanted = [math.ceil(n / per_row) for n in counts[:len(rows)]]
    grown = True
    while grown:  # then more rows, in turn, to the layers that need them
        grown = False
        for i in range(len(rows)):
            if rows[i] < wanted[i] and lines(tile, rows[:i] + [rows[i] + 1] + rows[i + 1:]) <= height:
                rows[i] += 1
                grown = True
    return Layout(tile, per_row, rows)


def _pad(segments: list[Segment], width: int) -> list[Segment]:
    used = sum(cell_len(s.text) for s in segments)
    return [*segments, Segment(" " * max(width - used, 0))]


def neuron_lines(maps: NeuronMaps, width: int, height: int, background: RGB) -> tuple[list[list[Segment]], str]:
    """The body: the output's map on the left, the neurons' maps on the right; and what did not fit."""
    side = max(min(height - 1, (width // 3) // 2), 3)  # the output map's lines; it is twice as wide
    left = [[Segment(crop(_("output") if isinstance(maps.output, Boundary) else _("predicted value"), 2 * side),
                     Style(bold=True))]]
    left += plane_lines(maps.output, 2 * side, side, background)
    area = width - 2 * side - GAP
    counts = [len(n) for n in maps.neurons]
    fit = layout(counts, area, height)
    right: list[list[Segment]] = []
    palette = [tile_color(key, background) for key in range(2 * SIDE + 1)]
    shown = fit.shown(counts)
    for layer, (activations, numbers, total, rows) in enumerate(zip(maps.layers, maps.neurons, maps.widths, fit.rows)):
        drawn = shown[layer]
        title = (_("layer {layer}: {n} {activation} neurons") if drawn == total else
                 _("layer {layer}: {drawn} of {n} {activation} neurons, largest outgoing weights first")).format(
            layer=layer + 1, n=total, drawn=drawn, activation=maps.activation)
        right.append([Segment(crop(title, area), Style(bold=True))])
        for row in range(rows):
            members = range(row * fit.per_row, min((row + 1) * fit.per_row, drawn))
            tiles = [heat_lines(tile_keys(_resample(activations[i], 2 * fit.tile, 2 * fit.tile)), {},
                                palette.__getitem__, lambda *_: Style(),
                                2 * fit.tile, fit.tile) for i in members]
            for line in range(fit.tile):
                segments: list[Segment] = []
                for tile in tiles:
                    segments += [*tile[line], Segment(" ")]
                right.append(segments)
            right.append([Segment("".join(f"{'n' + str(numbers[i]):^{2 * fit.tile}} " for i in members))])
    left_width = 2 * side + GAP
    body = [_pad(left[i] if i < len(left) else [], left_width) + (right[i] if i < len(right) else [])
            for i in range(min(max(len(left), len(right)), height))]
    missing = len(maps.layers) - len(fit.rows)
    return body, (_("layers {first}-{last} do not fit: enlarge the terminal").format(
        first=len(fit.rows) + 1, last=len(maps.layers)) if missing > 1
                  else _("layer {layer} does not fit: enlarge the terminal").format(layer=len(maps.layers))
                  if missing else "")


class NeuronMapsView(HeatmapView):
    """The latest neuron maps with a title and a legend; a note while there are none."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.maps: NeuronMaps | None = None
        self.note = _("the neuron maps appear here while a 2-D data set trains")

    @property
    def grid_size(self) -> tuple[int, int]:
        """The grid (cols, rows) of the output map (the neurons' maps are sampled from it)."""
        side = max(min(self.size.height - 3, (self.size.width // 3) // 2), 3)
        return 2 * side, 2 * side

    def show(self, maps: NeuronMaps | None, note: str) -> None:
        self.maps, self.note = maps, note
        self.rebuild()

    def lines(self, background: RGB) -> list[list[Segment]]:
        if self.maps is None:
            return [[Segment(self.note)]]
        body, missing = neuron_lines(self.maps, self.size.width, max(self.size.height - 2, 1), background)
        legend = _("orange < 0 < blue, each map scaled to its own largest |activation|")
        return [[Segment(self.note, Style(bold=True))], *body, [Segment(f"{legend}  {missing}".rstrip())]]
