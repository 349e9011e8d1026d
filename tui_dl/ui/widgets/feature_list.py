"""The Model tab's checklist of input features (x1, x2, x1^2, ...): arrows move, space toggles."""

from __future__ import annotations

from textual.widgets import SelectionList

from tui_dl.engine.config import FEATURES, ordered_features
from tui_dl.i18n import _

DEFAULT = ["x1", "x2"]  # what a 2-D data set's model takes without features


class FeatureList(SelectionList[str]):
    """The input features of a 2-D data set's model; disabled (and then none apply) for other data sets.

    `value` is the form's text for `ModelConfig.features`: the checked names in input order, or empty for the
    data set's own x1 and x2. At least one stays checked.
    """

    DEFAULT_CSS = """
    FeatureList { width: 1fr; height: auto; }
    FeatureList:disabled { opacity: 60%; }
    """

    def __init__(self, features: list[str], **kwargs):
        chosen = set(features or DEFAULT)
        super().__init__(*[(name, name, name in chosen) for name in FEATURES], compact=True, **kwargs)

    @property
    def value(self) -> str:
        chosen = ordered_features(self.selected)
        return "" if self.disabled or chosen == DEFAULT else ",".join(chosen)

    def show(self, features: list[str]) -> None:
        """Check exactly `features` (the default x1, x2 when empty)."""
        chosen = set(features or DEFAULT)
        self.deselect_all()
        for name in FEATURES:
            if name in chosen:
                self.select(name)

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        if not self.selected:  # a model needs an input
            self.select(event.selection)
            self.notify(_("a model needs at least one input feature"), severity="warning")
