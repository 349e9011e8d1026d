"""The Insights tab's views, in one list: their keys, tab titles, the help text and what the trainer computes."""

from __future__ import annotations

from dataclasses import dataclass

from tui_dl.i18n import N_, _


@dataclass(frozen=True)
class View:
    """One view: the key that shows it, its name (the tab's id and the insight the trainer computes) and title."""

    key: str
    name: str
    title: str
    probed: bool = True  # computed by the trainer (the others are drawn from metrics or system samples)


VIEWS = (
    View("1", "boundary", N_("Boundary")),
    View("2", "fit", N_("Fit")),
    View("3", "confusion", N_("Confusion")),
    View("4", "norms", N_("Norms"), probed=False),
    View("5", "system", N_("System"), probed=False),
    View("6", "predict", N_("Predict"), probed=False),  # runs the model in the UI: try it on a row, a drawing, a point
    View("7", "landscape", N_("Landscape")),
    View("8", "pieces", N_("Pieces")),
    View("9", "neurons", N_("Neurons")),
)
BY_NAME = {view.name: view for view in VIEWS}


def views_help() -> str:
    """The views by key, for the help screen: `1 boundary, 2 fit, ...` (their titles in lower case)."""
    return ", ".join(f"{view.key} {_(view.title).lower()}" for view in VIEWS)
