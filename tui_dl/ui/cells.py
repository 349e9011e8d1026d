"""Text fitted to terminal cells: a Chinese character takes two cells, so widths are measured with rich.cells."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size, set_cell_size


def crop(text: str, width: int) -> str:
    """`text` cut to at most `width` cells (a wide character that would straddle the edge is dropped)."""
    if cell_len(text) <= width:
        return text
    used, end = 0, 0
    for end, character in enumerate(text):
        used += get_character_cell_size(character)
        if used > width:
            break
    return text[:end]


def left(text: str, width: int) -> str:
    """`text` cropped or padded with spaces to exactly `width` cells."""
    return set_cell_size(text, max(width, 0))


def right(text: str, width: int) -> str:
    """`text` right-aligned in `width` cells (never cropped)."""
    return " " * max(width - cell_len(text), 0) + text


def center(text: str, width: int) -> str:
    """`text` cropped to `width` cells and centred in them (the odd space where str.center puts it)."""
    text = crop(text, width)
    space = max(width - cell_len(text), 0)
    before = space // 2 + (space & width & 1)
    return " " * before + text + " " * (space - before)
