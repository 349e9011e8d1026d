"""A prediction in words for the Predict view's pads: the predicted class with a probability bar per class, or
the predicted values, and the true target of a sample of the data set."""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from tui_dl.engine.data.rawdata import RawData
from tui_dl.i18n import _
from tui_dl.ui.cells import left

MOST_BARS = 10  # classes shown as bars (the likeliest, when there are more)
BAR = 24  # bar width in cells


def prediction_text(predictor, outputs: np.ndarray, truth: str | None = None, width: int = 60,
                    rows: int = MOST_BARS) -> Text:
    """The prediction and, for classification, a probability bar per class (the likeliest `rows` of them),
    fitted to `width` columns."""
    out = Text()
    heading = max(cell_len(_("prediction")), cell_len(_("true"))) + 2
    predicted, true = left(_("prediction"), heading), left(_("true"), heading)
    if predictor.classification:
        best = int(outputs.argmax())
        out.append(predicted, "dim").append(predictor.class_names[best], "bold")
        out.append(f"  {outputs[best]:.1%}")
        if truth is not None:
            out.append(f"\n{true}{truth}", "dim")
        names = predictor.class_names
        rows = max(rows, 1)
        shown = range(len(names)) if len(names) <= rows else np.argsort(-outputs, kind="stable")[:rows]
        label = min(max(cell_len(names[i]) for i in shown), 16)
        bar = min(max(width - label - 9, 6), BAR)
        for i in shown:
            filled = int(round(outputs[i] * bar))
            out.append(f"\n{left(names[i], label)} ")
            out.append("█" * filled, "bold green" if i == best else "green")
            out.append("░" * (bar - filled), "dim").append(f" {outputs[i]:6.1%}")
        return out
    name = predictor.target.name if predictor.has_plan else _("target")
    values = "  ".join(f"{v:.5g}" for v in outputs)
    out.append(predicted, "dim").append(values, "bold").append(f"  {name}", "dim")
    if truth is not None:
        out.append(f"\n{true}{truth}", "dim")
    return out


def true_text(predictor, raw: RawData, index: int) -> str:
    """The true target of sample `index` of `raw`, in words."""
    y = raw.y[index]
    if predictor.classification:
        return raw.class_names[int(y)] if raw.class_names else str(y)
    return " ".join(f"{v:.5g}" for v in np.atleast_1d(y))
