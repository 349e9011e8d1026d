"""Heatmaps drawn with half blocks, two grid rows per line, marks (data points, a path) on top, and the
widget base that draws such views.

Neighbouring cells of one look share a segment, so a line costs a few dozen segments, not one per cell.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

RGB = tuple[int, int, int]
DARK_RGB, LIGHT_RGB = (24, 24, 28), (250, 250, 250)  # when the background is the terminal's own


def background_rgb(widget: Widget) -> RGB:
    """The colour behind `widget` under the current theme: the heatmap's shades blend towards it."""
    color = widget.background_colors[1]
    if color.a == 0 or color.ansi is not None:
        return DARK_RGB if widget.app.current_theme.dark else LIGHT_RGB
    return color.rgb


def blend(rgb: RGB, background: RGB, amount: float) -> Color:
    """`amount` (0..1) of the way from `background` to `rgb`."""
    return Color.from_rgb(*(round(bg + (c - bg) * amount) for c, bg in zip(rgb, background)))


def point_cells(points: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float],
                rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """The (line, column) of each data point on a grid of `rows` x `cols` drawn two rows per line."""
    (x0, x1), (y0, y1) = x_range, y_range
    col = ((points[:, 0] - x0) / (x1 - x0) * (cols - 1) + 0.5).astype(int)
    line = ((y1 - points[:, 1]) / (y1 - y0) * (rows - 1) + 0.5).astype(int) // 2
    return line, col


def heat_lines(cells: np.ndarray, marks: dict[tuple[int, int], int], cell_color: Callable[[int], Color],
               mark_style: Callable[[int, Color], Style], width: int, height: int,
               glyph: Callable[[int], str] = lambda _mark: "●") -> list[list[Segment]]:
    """Segments of each line: `cells` (rows x cols of look keys) as upper / lower half blocks coloured by
    `cell_color`, and at each (line, column) of `marks` the one-cell `glyph(mark key)` (● by default),
    styled by `mark_style(mark key, lower cell colour)`."""
    rows, cols = cells.shape
    styles: dict[tuple, Style] = {}

    def style_of(key: tuple) -> Style:
        style = styles.get(key)
        if style is None:
            top, bottom, mark = key
            style = styles[key] = (Style(color=cell_color(top), bgcolor=cell_color(bottom)) if mark is None else
                                   mark_style(mark, cell_color(bottom)))
        return style

    lines = []
    for line in range(min(rows // 2, height)):
        segments: list[Segment] = []
        run_key, run_length = None, 0
        for col in range(min(cols, width)):
            mark = marks.get((line, col))
            key = (int(cells[2 * line, col]), int(cells[2 * line + 1, col]), mark)
            if key == run_key and mark is None:
                run_length += 1
                continue
            if run_key is not None:
                segments.append(Segment("▀" * run_length if run_key[2] is None else glyph(run_key[2]),
                                        style_of(run_key)))
            run_key, run_length = key, 1
        if run_key is not None:
            segments.append(Segment("▀" * run_length if run_key[2] is None else glyph(run_key[2]), style_of(run_key)))
        lines.append(segments)
    return lines


class HeatmapView(Widget):
    """A view drawn with Textual's line API from strips built once per update (twice a second at most), and
    again when its size or the theme changes: the shades blend towards the theme's background.

    Subclasses return the lines' segments from `lines`; `show`-like methods set their data and call `rebuild`.
    """

    DEFAULT_CSS = "HeatmapView { height: 1fr; }"

    class Resized(Message):
        """The view's size changed: the next data is computed for the new size."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._strips: list[Strip] = []

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.rebuild())
        self.rebuild()

    def on_resize(self) -> None:
        self.post_message(self.Resized())
        self.rebuild()

    def lines(self, background: RGB) -> list[list[Segment]]:
        """The segments of each line, for the current data and size."""
        raise NotImplementedError

    def rebuild(self) -> None:
        if self.is_mounted:
            self._strips = [Strip(segments) for segments in self.lines(background_rgb(self))]
            self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)
        return strip.crop_extend(0, self.size.width, self.rich_style)
