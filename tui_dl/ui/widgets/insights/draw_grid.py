"""The Predict view for images: draw on a pixel grid with the keyboard or the mouse, and watch the classes change."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import MouseDown, MouseMove, MouseUp
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui_dl.engine.data.rawdata import RawData
from tui_dl.i18n import N_, _
from tui_dl.ui.widgets.insights.prediction import prediction_text, true_text

SHADES = 16  # grey levels drawn
CURSOR = Color.from_rgb(240, 200, 40)  # the cursor's colour, pen up
PEN = Color.from_rgb(240, 110, 40)  # pen down
THICK_FROM = 16  # images at least this tall get a soft 3-pixel-wide pen (MNIST's strokes)


class DrawGrid(Widget, can_focus=True):
    """An image of `shape` pixels (values 0..1) with a cursor: arrows move, space puts the pen down or lifts it
    (moving with the pen down draws), x erases, c clears; the mouse draws (right button erases)."""

    DEFAULT_CSS = "DrawGrid { width: 1fr; height: 1fr; }"
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False), Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False), Binding("right", "move(0, 1)", "Right", show=False),
        Binding("space", "pen", N_("Pen")), Binding("x", "erase", N_("Erase")), Binding("c", "clear", N_("Clear")),
    ]

    class Changed(Message):
        """The image changed."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pixels = np.zeros((8, 8), dtype=np.float32)
        self.cursor = [4, 4]
        self.pen = False

    def set_image(self, pixels: np.ndarray) -> None:
        """Show `pixels` (values 0..1); a new shape puts the cursor in the middle."""
        if pixels.shape != self.pixels.shape:
            self.cursor = [pixels.shape[0] // 2, pixels.shape[1] // 2]
        self.pixels = np.clip(pixels.astype(np.float32), 0, 1)
        self.refresh()
        self.post_message(self.Changed())

    @property
    def scale(self) -> int:
        """Terminal lines per pixel row (a pixel is twice as many columns wide); 0: half blocks, two rows a line."""
        h, w = self.pixels.shape
        return max(0, min(self.size.width // (2 * w), self.size.height // h))

    def _paint(self, row: int, col: int, value: float) -> None:
        h, w = self.pixels.shape
        if not (0 <= row < h and 0 <= col < w):
            return
        if value > 0 and h >= THICK_FROM:
            for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
                if 0 <= r < h and 0 <= c < w:
                    self.pixels[r, c] = max(self.pixels[r, c], 0.6)
        self.pixels[row, col] = value if value == 0 else max(self.pixels[row, col], value)
        self.refresh()
        self.post_message(self.Changed())

    def action_move(self, down: int, right: int) -> None:
        h, w = self.pixels.shape
        self.cursor = [min(max(self.cursor[0] + down, 0), h - 1), min(max(self.cursor[1] + right, 0), w - 1)]
        if self.pen:
            self._paint(*self.cursor, 1.0)
        self.refresh()

    def action_pen(self) -> None:
        self.pen = not self.pen
        if self.pen:
            self._paint(*self.cursor, 1.0)
        self.refresh()

    def action_erase(self) -> None:
        self.pen = False
        self._paint(*self.cursor, 0.0)

    def action_clear(self) -> None:
        self.pen = False
        self.set_image(np.zeros_like(self.pixels))

    def _at(self, x: int, y: int) -> list[tuple[int, int]]:
        scale = self.scale
        if scale:
            return [(y // scale, x // (2 * scale))]
        return [(2 * y, x), (2 * y + 1, x)]  # a cell holds two pixel rows

    def on_mouse_down(self, event: MouseDown) -> None:
        self.focus()
        self.capture_mouse()
        self._mouse(event.x, event.y, event.button)

    def on_mouse_move(self, event: MouseMove) -> None:
        if event.button:
            self._mouse(event.x, event.y, event.button)

    def on_mouse_up(self, _event: MouseUp) -> None:
        self.release_mouse()

    def _mouse(self, x: int, y: int, button: int) -> None:
        for row, col in self._at(x, y):
            self.cursor = [min(row, self.pixels.shape[0] - 1), col]
            self._paint(row, col, 0.0 if button == 3 else 1.0)

    def render(self) -> Text:
        _, _, background, foreground = self.colors
        shades = [background.blend(foreground, i / (SHADES - 1)).rich_color for i in range(SHADES)]
        levels = np.round(self.pixels * (SHADES - 1)).astype(int)
        h, w = self.pixels.shape
        mark = PEN if self.pen else CURSOR

        def colour(r: int, c: int) -> Color:
            return mark if [r, c] == self.cursor else shades[levels[r, c]]

        out = Text()
        scale = self.scale
        if scale:
            for r in range(h):
                line = Text()
                for c in range(w):
                    line.append(" " * 2 * scale, Style(bgcolor=colour(r, c)))
                for _ in range(scale):
                    out.append_text(line)
                    out.append("\n")
            return out
        for r in range(0, h, 2):
            for c in range(w):
                below = colour(r + 1, c) if r + 1 < h else background.rich_color
                out.append("▀", Style(color=colour(r, c), bgcolor=below))
            out.append("\n")
        return out


class ImagePad(Horizontal):
    """The drawing grid, and the class probabilities of what it shows; v loads a validation image."""

    BINDINGS = [Binding("v", "sample", N_("Validation image"))]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.predictor = None
        self.raw: RawData | None = None
        self.rows: np.ndarray | None = None
        self.sample = -1  # the validation image shown, -1 for a drawing
        self.ink = 1.0  # the data's pixel value for full ink (16 for the 8x8 digits)
        self.shape = (8, 8)
        self.loaded: np.ndarray | None = None  # the validation image as loaded, to tell whether it was drawn on

    def compose(self) -> ComposeResult:
        yield DrawGrid(id="draw-grid")
        yield Static("", id="image-result")

    def focus_input(self) -> None:
        self.query_one(DrawGrid).focus()

    def use(self, predictor, raw: RawData | None, rows: np.ndarray | None) -> None:
        """Draw for `predictor`; a new data set starts from its first validation image (or a blank grid)."""
        shape = tuple((raw.image_shape if raw is not None else None) or predictor.image_shape)
        fresh = raw is not self.raw or shape != self.shape
        self.predictor, self.raw, self.rows, self.shape = predictor, raw, rows, shape
        if raw is not None:
            self.ink = float(raw.x.max()) or 1.0
        else:
            self.ink = float((predictor.x_mean + 2 * predictor.x_std).max()) or 1.0
        if fresh:
            self.sample = -1
            if rows is not None and len(rows):
                self.action_sample()
            else:
                self.query_one(DrawGrid).set_image(np.zeros(shape, dtype=np.float32))
        else:
            self._predict()

    def action_sample(self) -> None:
        """Show the next validation image."""
        if self.raw is None or self.rows is None or not len(self.rows):
            self.app.notify(_("no images to load: the model's data set is not loaded"), severity="warning")
            return
        self.sample = (self.sample + 1) % len(self.rows)
        grid = self.query_one(DrawGrid)
        self.loaded = np.clip(self.raw.x[self.rows[self.sample]].reshape(self.shape) / self.ink, 0, 1)
        grid.set_image(self.loaded)

    def on_resize(self) -> None:
        self._predict()  # the bars fit the new width

    def on_draw_grid_changed(self, event: DrawGrid.Changed) -> None:
        event.stop()
        self._predict()

    def _predict(self) -> None:
        if self.predictor is None:
            return
        grid = self.query_one(DrawGrid)
        outputs = self.predictor.run(grid.pixels.reshape(1, -1) * self.ink)[0]
        loaded = self.sample >= 0 and self.loaded is not None and np.array_equal(grid.pixels, self.loaded)
        truth = true_text(self.predictor, self.raw, int(self.rows[self.sample])) if loaded else None
        where = (_("validation image {n} of {total}").format(n=self.sample + 1, total=len(self.rows)) if loaded
                 else _("your drawing"))
        result = self.query_one("#image-result", Static)
        width, height = result.content_size
        text = Text(where + "\n\n", "dim")
        text.append_text(prediction_text(self.predictor, outputs, truth, width or 30,
                                         (height or 20) - 3 - (truth is not None)))  # the key bar names the keys
        result.update(text)
