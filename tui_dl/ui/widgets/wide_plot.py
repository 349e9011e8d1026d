"""Plotext with double-width text: plotext gives every character of a title, axis label or legend one cell,
so a Chinese character (two cells on screen) would push the rest of its row out of line."""

from __future__ import annotations

from rich.cells import get_character_cell_size
from textual_plotext.plot import Plot

FILLER = "\u200b"  # a zero-width space: takes plotext's second cell of a wide character, none on screen


def cell_text(text: str | None) -> str | None:
    """`text` with a filler after each double-width character, so plotext counts the cells it takes."""
    if not text or text.isascii():
        return text
    return "".join(c + FILLER if get_character_cell_size(c) == 2 else c for c in text)


class WidePlot(Plot):
    """textual-plotext's Plot, its texts measured in cells."""

    def title(self, label=None):
        return super().title(cell_text(label))

    def xlabel(self, label=None, xside=None):
        return super().xlabel(cell_text(label), xside)

    def ylabel(self, label=None, yside=None):
        return super().ylabel(cell_text(label), yside)

    def plot(self, *args, label=None, **kwargs):
        return super().plot(*args, label=cell_text(label), **kwargs)

    def scatter(self, *args, label=None, **kwargs):
        return super().scatter(*args, label=cell_text(label), **kwargs)
