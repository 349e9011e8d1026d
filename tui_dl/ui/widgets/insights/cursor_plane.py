"""The Predict view for 2-D data: a cursor over the model's plane (the decision boundary, or the predicted value)
and the prediction at the cursor's point."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.message import Message
from textual.strip import Strip

from tui_dl.engine.data.rawdata import RawData
from tui_dl.engine.insights.views import Boundary, Surface
from tui_dl.i18n import _
from tui_dl.ui.widgets.insights.heatmap import background_rgb
from tui_dl.ui.widgets.insights.plane import PlaneView, legend

POINTS = 600  # data points drawn on the plane
FAST = 5  # cells a shift+arrow moves


def _contrast(style: Style | None) -> Color:
    colour = style.bgcolor if style is not None and style.bgcolor is not None else None
    if colour is None or colour.triplet is None:
        return Color.from_rgb(255, 255, 255)
    r, g, b = colour.triplet
    return Color.from_rgb(0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else Color.from_rgb(255, 255, 255)


class CursorPlane(PlaneView, can_focus=True):
    """The plane with a cursor: arrows (shift: faster) or a click move it; its last line says the prediction there."""

    BINDINGS = [
        *(Binding(key, f"move({dx}, {dy})", key, show=False) for key, dx, dy in
          (("left", -1, 0), ("right", 1, 0), ("up", 0, -1), ("down", 0, 1))),
        *(Binding(f"shift+{key}", f"move({dx * FAST}, {dy * FAST})", key, show=False) for key, dx, dy in
          (("left", -1, 0), ("right", 1, 0), ("up", 0, -1), ("down", 0, 1))),
    ]

    class Moved(Message):
        """The cursor moved."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cursor = [0, 0]  # terminal column and line within the plane

    def action_move(self, dx: int, dy: int) -> None:
        cols, lines = self.size.width, max(self.size.height - 1, 1)
        self.cursor = [min(max(self.cursor[0] + dx, 0), cols - 1), min(max(self.cursor[1] + dy, 0), lines - 1)]
        self.refresh()
        self.post_message(self.Moved())

    def on_click(self, event: Click) -> None:
        if event.y < self.size.height - 1:
            self.cursor = [event.x, event.y]
            self.refresh()
            self.post_message(self.Moved())

    def set_note(self, note: str) -> None:
        """Rewrite only the last line (the legend and `note`): cheaper than redrawing the plane."""
        self.note = note
        if self._strips:
            self._strips[-1] = Strip([*legend(self.plane, background_rgb(self)), Segment(note)])
            self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.plane is None or y != self.cursor[1] or y >= self.size.height - 1:
            return strip
        x = self.cursor[0]
        left, cell, right = strip.divide([x, x + 1, self.size.width])
        below = next(iter(cell), None)
        style = (below.style if below is not None and below.style else Style()) + \
            Style(color=_contrast(below.style if below else None), bold=True)
        return Strip.join([left, Strip([Segment("╋", style)]), right])


class PlanePad(CursorPlane):
    """The cursor plane of a predictor: the grid is computed when the model or the size changes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.predictor = None
        self.raw: RawData | None = None
        self.low = self.high = np.zeros(2)
        self.points = np.zeros((0, 2))
        self.labels = np.zeros(0)
        self.centred = False  # the cursor starts in the middle once the plane has a size

    def focus_input(self) -> None:
        self.focus()

    def use(self, predictor, raw: RawData | None, rows: np.ndarray | None) -> None:
        """Show `predictor`'s plane over the data's range (the training mean +- 3 deviations without data)."""
        fresh = self.predictor is None or raw is not self.raw
        self.predictor, self.raw = predictor, raw
        if raw is not None:
            low, high = raw.x.min(axis=0).astype(np.float64), raw.x.max(axis=0).astype(np.float64)
            pick = np.random.default_rng(0).permutation(raw.samples)[:POINTS]
            self.points = raw.x[pick].astype(np.float64)
            self.labels = np.asarray(raw.y)[pick]
        else:
            mean, std = predictor.input_mean.double().numpy(), predictor.input_std.double().numpy()
            low, high = mean - 3 * std, mean + 3 * std
            self.points, self.labels = np.zeros((0, 2)), np.zeros((0,) if predictor.classification else (0, 1))
        margin = np.maximum((high - low) * 0.05, 1e-3)
        self.low, self.high = low - margin, high + margin
        if fresh:
            self.centred = False
        self._compute()

    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        cols, rows = self.grid_size
        return np.linspace(self.low[0], self.high[0], cols), np.linspace(self.high[1], self.low[1], rows)

    def _compute(self) -> None:
        p = self.predictor
        if p is None:
            return
        if not self.centred and self.size.height > 1:
            self.cursor, self.centred = [self.size.width // 2, (self.size.height - 1) // 2], True
        gx, gy = self._axes()
        outputs = p.run(np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2).astype(np.float32))
        shape = (len(gy), len(gx))
        ranges = (float(self.low[0]), float(self.high[0])), (float(self.low[1]), float(self.high[1]))
        names = p.feature_names
        if p.classification:
            plane = Boundary(*ranges, outputs.argmax(axis=1).reshape(shape), outputs.max(axis=1).reshape(shape),
                             self.points, self.labels.astype(np.int64), list(p.class_names), names)
        else:
            targets = self.labels[:, 0] if self.labels.ndim == 2 else self.labels
            plane = Surface(*ranges, outputs[:, 0].reshape(shape).astype(np.float64), self.points,
                            targets.astype(np.float64), names, p.outputs)
        self.show(plane, self._readout())

    def on_heatmap_view_resized(self, event: PlaneView.Resized) -> None:
        self._compute()

    def on_cursor_plane_moved(self, event: CursorPlane.Moved) -> None:
        event.stop()
        self.set_note(self._readout())

    def _readout(self) -> str:
        """The cursor's point and what the model predicts there."""
        p = self.predictor
        gx, gy = self._axes()
        col = min(self.cursor[0], len(gx) - 1)
        row = min(2 * self.cursor[1], len(gy) - 2)
        point = np.array([[gx[col], (gy[row] + gy[row + 1]) / 2]], dtype=np.float32)
        out = p.run(point)[0]
        where = _("at {x1} {v1}, {x2} {v2}: ").format(x1=p.feature_names[0], v1=f"{point[0, 0]:.3g}",
                                                    x2=p.feature_names[1], v2=f"{point[0, 1]:.3g}")
        if p.classification:
            order = np.argsort(-out, kind="stable")[:3]
            return where + "  ".join(f"{p.class_names[i]} {out[i]:.0%}" for i in order)
        return where + f"{out[0]:.4g}"
