"""The plane of a 2-D data set: the decision boundary (classification) or the predicted value (regression)."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from tui_dl.engine.insights.views import Boundary, Surface
from tui_dl.i18n import _
from tui_dl.ui.widgets.insights.heatmap import (
    RGB,
    HeatmapView,
    blend,
    heat_lines,
    point_cells,
)

# Class colours (RGB) of the boundary view, TensorFlow Playground's orange and blue first.
CLASS_RGB = ((245, 147, 34), (8, 119, 189), (80, 200, 120), (220, 80, 160), (230, 220, 60), (150, 110, 230),
             (60, 210, 220), (240, 90, 70), (170, 170, 170), (120, 160, 60))
SHADES = 8  # confidence levels drawn: few distinct styles keep rendering cheap
# The value scale of a surface (viridis, low to high) and how many steps of it are drawn.
SCALE_RGB = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
LEVELS = 16
SURFACE_AMOUNT = 0.55  # cells are this far from the background towards their colour; points are fully coloured


def class_shade(class_index: int, level: int, background: RGB) -> Color:
    """Class colour at confidence `level` (0..SHADES-1): 15% .. 65% of the way from the background."""
    return blend(CLASS_RGB[class_index % len(CLASS_RGB)], background, 0.15 + 0.5 * level / (SHADES - 1))


def scale_rgb(level: int) -> RGB:
    """The value scale's colour at `level` (0..LEVELS-1)."""
    position = level / (LEVELS - 1) * (len(SCALE_RGB) - 1)
    i = min(int(position), len(SCALE_RGB) - 2)
    low, high, t = SCALE_RGB[i], SCALE_RGB[i + 1], position - i
    return tuple(round(a + (b - a) * t) for a, b in zip(low, high))


def _marks(shown: Boundary | Surface, rows: int, cols: int, keys: np.ndarray) -> dict[tuple[int, int], int]:
    lines, columns = point_cells(shown.points, shown.x_range, shown.y_range, rows, cols)
    return {(int(line), int(col)): int(key) for line, col, key in zip(lines, columns, keys)}


def boundary_lines(b: Boundary, width: int, height: int, background: RGB) -> list[list[Segment]]:
    """The boundary: each cell's class shaded by confidence, each data point in its class colour."""
    rows, cols = b.classes.shape
    floor = 1.0 / max(len(b.class_names), 2)  # the lowest possible confidence of the predicted class
    levels = np.clip(((b.confidence - floor) / (1 - floor) * SHADES).astype(int), 0, SHADES - 1)
    return heat_lines(b.classes * SHADES + levels, _marks(b, rows, cols, b.labels),
                      lambda key: class_shade(*divmod(key, SHADES), background),
                      lambda label, below: Style(color=Color.from_rgb(*CLASS_RGB[label % len(CLASS_RGB)]),
                                                 bgcolor=below, bold=True), width, height)


def value_range(s: Surface) -> tuple[float, float]:
    """The range the colour scale spans: the predictions and the points' true targets."""
    return (float(min(s.values.min(), s.targets.min(initial=np.inf))),
            float(max(s.values.max(), s.targets.max(initial=-np.inf))))


def value_levels(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Each value's step (0..LEVELS-1) on the scale from `low` to `high`."""
    span = high - low if high > low else 1.0
    return np.clip(((values - low) / span * LEVELS).astype(int), 0, LEVELS - 1)


def surface_lines(s: Surface, width: int, height: int, background: RGB) -> list[list[Segment]]:
    """The surface: each cell's predicted value on the colour scale (paled towards the background), each data
    point on top as a dot in the full colour of its true value, so a point the model gets wrong stands out."""
    rows, cols = s.values.shape
    low, high = value_range(s)
    return heat_lines(value_levels(s.values, low, high), _marks(s, rows, cols, value_levels(s.targets, low, high)),
                      lambda level: blend(scale_rgb(level), background, SURFACE_AMOUNT),
                      lambda level, below: Style(color=Color.from_rgb(*scale_rgb(level)), bgcolor=below, bold=True),
                      width, height)


def plane_lines(plane: Boundary | Surface, width: int, height: int, background: RGB) -> list[list[Segment]]:
    """The boundary or the surface, whichever `plane` is."""
    return (boundary_lines if isinstance(plane, Boundary) else surface_lines)(plane, width, height, background)


def legend(shown: Boundary | Surface | None, background: RGB) -> list[Segment]:
    """What the colours mean: the classes, or the value scale with its range in the target's units."""
    if isinstance(shown, Boundary):
        segments = []
        for i, name in enumerate(shown.class_names):
            segments += [Segment("● ", Style(color=Color.from_rgb(*CLASS_RGB[i % len(CLASS_RGB)]))),
                         Segment(f"{name}  ")]
        return [*segments, Segment(" ")]
    if isinstance(shown, Surface):
        low, high = value_range(shown)
        which = (_("predicted target") if shown.outputs == 1 else
                 _("predicted target 1 of {n}").format(n=shown.outputs))
        bar = [Segment("█", Style(color=blend(scale_rgb(level), background, SURFACE_AMOUNT)))
               for level in range(LEVELS)]
        return [Segment(f"{which} {low:.3g} "), *bar, Segment(f" {high:.3g}  ● " + _("true value") + "   ")]
    return []


class PlaneView(HeatmapView):
    """The model's prediction over the plane of a 2-D data set with the data points: the predicted class
    shaded by confidence (classification) or the predicted value on a colour scale (regression)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.plane: Boundary | Surface | None = None
        self.note = _("the decision boundary appears here while a 2-D classification set trains")

    @property
    def grid_size(self) -> tuple[int, int]:
        """The grid (cols, rows) that fills this widget: two grid rows per terminal line."""
        return max(self.size.width, 20), max(2 * (self.size.height - 1), 10)

    def show(self, plane: Boundary | Surface | None, note: str) -> None:
        self.plane, self.note = plane, note
        self.rebuild()

    def lines(self, background: RGB) -> list[list[Segment]]:
        height = max(self.size.height - 1, 0)
        lines = plane_lines(self.plane, self.size.width, height, background) if self.plane is not None else []
        return [*lines, [*legend(self.plane, background), Segment(self.note)]]  # legend first: it must show
