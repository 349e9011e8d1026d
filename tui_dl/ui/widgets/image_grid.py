"""A grid of sample images drawn with half blocks (two pixels per cell, one above the other), labelled."""

from __future__ import annotations

import numpy as np
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui_dl.engine.data.rawdata import RawData
from tui_dl.ui.cells import center

MAX_IMAGES = 24
SHADES = 16  # grey levels: fewer distinct styles to draw
GAP = 2  # columns between images


def pick_samples(labels: list[str], count: int) -> list[int]:
    """Indices of up to `count` samples: the first of each label in turn, then evenly spread others."""
    first: dict[str, int] = {}
    for index, label in enumerate(labels):
        first.setdefault(label, index)
    picked = [first[label] for label in sorted(first, key=first.get)][:count]
    spread = np.linspace(0, len(labels) - 1, num=min(len(labels), count)).astype(int).tolist()
    picked += [i for i in spread if i not in picked]
    return picked[:count]


class ImageGrid(Widget):
    """Sample images of an image data set with their labels under them; as many as fit."""

    DEFAULT_CSS = "ImageGrid { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.images: list[np.ndarray] = []  # each (height, width), values 0..1
        self.labels: list[str] = []

    def show(self, raw: RawData) -> None:
        """Take sample images from `raw` (which must have an `image_shape`)."""
        height, width = raw.image_shape
        names = [raw.class_names[int(v)] for v in raw.y] if raw.class_names else [f"{v:.3g}" for v in raw.y[:, 0]]
        picked = pick_samples(names, MAX_IMAGES)
        pixels = raw.x[picked].reshape(len(picked), height, width)
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
        self.images, self.labels = list(scaled), [names[i] for i in picked]
        self.refresh()

    def render(self) -> RenderableType:
        if not self.images:
            return Text("")
        height, width = self.images[0].shape
        cell_rows = (height + 1) // 2
        across = max(1, (self.size.width + GAP) // (width + GAP))
        down = max(1, (self.size.height + 1) // (cell_rows + 2))
        _, _, background, foreground = self.colors
        shades = [background.blend(foreground, i / (SHADES - 1)).rich_color for i in range(SHADES)]
        out = Text()
        shown = self.images[:across * down]
        for start in range(0, len(shown), across):
            row = shown[start:start + across]
            levels = [np.round(image * (SHADES - 1)).astype(int) for image in row]
            for cell_row in range(cell_rows):
                for k, level in enumerate(levels):
                    if k:
                        out.append(" " * GAP)
                    top = level[2 * cell_row]
                    bottom = level[2 * cell_row + 1] if 2 * cell_row + 1 < height else None
                    for x in range(width):
                        lower = shades[bottom[x]] if bottom is not None else background.rich_color
                        out.append("▀", Style(color=shades[top[x]], bgcolor=lower))
                out.append("\n")
            labels = self.labels[start:start + across]
            out.append((" " * GAP).join(center(label, width) for label in labels) + "\n\n")
        return out
