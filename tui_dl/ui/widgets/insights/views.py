"""The Insights tab's views, in one list: their keys, tab titles, the help text and what the trainer computes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    """One view: the key that shows it, its name (the tab's id and the insight the trainer computes) and title."""

    key: str
    name: str
    title: str
    probed: bool = True  # computed by the trainer (the others are drawn from metrics or system samples)


VIEWS = (
    View("1", "boundary", "Boundary"),
    View("2", "fit", "Fit"),
    View("3", "confusion", "Confusion"),
    View("4", "norms", "Norms", probed=False),
    View("5", "system", "System", probed=False),
    View("6", "predict", "Predict", probed=False),  # runs the model in the UI: try it on a row, a drawing, a point
    View("7", "landscape", "Landscape"),
    View("8", "pieces", "Pieces"),
    View("9", "neurons", "Neurons"),
)
BY_NAME = {view.name: view for view in VIEWS}


def views_help() -> str:
    """The views by key, for the help screen: `1 boundary, 2 fit, ...`."""
    return ", ".join(f"{view.key} {view.name}" for view in VIEWS)
