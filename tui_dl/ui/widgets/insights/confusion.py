"""The confusion matrix with per-class precision, recall and F1, fitted to the space it has.

When not every class fits, the classes with the most samples are shown and the rest are folded into an
"other" row and column. Columns are headed by class names when they fit, else by the rows' numbers.
"""

from __future__ import annotations

import math

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from tui_dl.engine.insights.views import Confusion
from tui_dl.i18n import N_, _
from tui_dl.ui.cells import crop, left, right

LABEL_WIDTH = 22  # the most columns a row's label takes
NAME_HEADER = 10  # class names longer than this head their column by the row's number instead
METRICS = ((N_("prec"), 4), (N_("rec"), 4), ("F1", 4), (N_("support"), 7))  # per-class columns on the right: (header, width)
# What a matrix counts, by its split: all of it, or some of its samples.
COUNTED = {"validation": (N_("the validation split"), N_("{counted} of the {total} validation samples")),
           "training": (N_("the training split"), N_("{counted} of the {total} training samples"))}
FIXED_LINES = 4  # two title lines, the header and the macro-average row


class _Layout:
    """Which classes the table shows and how wide its parts are, for one choice of classes and headers.

    Cells are sized by their column's total (no count in a column exceeds it), so no matrix is folded
    until the layout is chosen.
    """

    def __init__(self, names: list[str], predicted: np.ndarray, shown: list[int], by_name: bool):
        self.shown, self.by_name = shown, by_name
        self.other = len(shown) < len(names)
        number_width = len(str(len(shown)))
        self.labels = [names[i] if by_name else f"{n + 1:>{number_width}} {names[i]}" for n, i in enumerate(shown)]
        self.headers = [names[i] if by_name else str(n + 1) for n, i in enumerate(shown)] + [_("other")] * self.other
        shown_total = int(predicted[shown].sum())
        self.cell = max([len(str(int(predicted[shown].max()))), *(cell_len(h) for h in self.headers[:len(shown)])])
        self.other_width = max(len(str(int(predicted.sum()) - shown_total)), 5)
        self.label = min(LABEL_WIDTH, max(cell_len(label) for label in [*self.labels, _("true \\ predicted")])) + 1
        self.width = (self.label + len(shown) * (self.cell + 1) + (self.other_width + 1) * self.other
                      + 3 + sum(w + 1 for _header, w in metric_columns()) - 1)


def layout(c: Confusion, width: int, height: int) -> _Layout:
    """The most classes that fit `width` x `height` (by support), headed by name when that fits too."""
    n = len(c.matrix)
    names = c.class_names or [str(i) for i in range(n)]
    predicted, order = c.matrix.sum(axis=0), c.most_frequent(n)
    rows = max(height - FIXED_LINES, 2)
    most = n if n <= rows else rows - 1  # one row goes to "other"
    for count in range(max(min(most, n), 1), 0, -1):
        shown = order[:count] if count < n else list(range(n))
        for by_name in (True, False) if all(len(names[i]) <= NAME_HEADER for i in shown) else (False,):
            fit = _Layout(names, predicted, shown, by_name)
            if fit.width <= width:
                return fit
    return _Layout(names, predicted, order[:1], False)


def metric_columns() -> list[tuple[str, int]]:
    """The per-class columns' headers in the language in use, each column wide enough for its header."""
    return [(_(header), max(width, cell_len(_(header)))) for header, width in METRICS]


def _score(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def confusion_text(c: Confusion, width: int, height: int) -> Text:
    """The matrix as text fitting `width` x `height`: counts with true classes as rows, each shaded by its
    share of the row, then each shown class's precision, recall, F1 and support, and macro averages."""
    fit = layout(c, width, height)
    n, shown = len(c.matrix), fit.shown
    folded = c.folded(shown)
    counted = int(c.matrix.sum())
    whole, part = COUNTED[c.split]
    where = _(whole) if counted == c.split_size else _(part).format(counted=f"{counted:,}", total=f"{c.split_size:,}")
    macro_p, macro_r, macro_f, present = c.macro()
    metrics = metric_columns()
    text = Text(no_wrap=True, overflow="crop")
    text.append(_("confusion matrix on {where}: accuracy {accuracy}, macro F1 {f1}").format(
        where=where, accuracy=f"{c.accuracy:.1%}", f1=_score(macro_f)) + "\n", style="bold")
    text.append((_("the {shown} of {n} classes with most samples; the rest are summed in other").format(
        shown=len(shown), n=n) if fit.other else _("rows: true class, columns: predicted")) + "\n", style="dim")

    corner = _("true \\ predicted") if fit.label > 16 else _("true")
    text.append(left(corner, fit.label), style="bold")
    for j, header in enumerate(fit.headers):
        w = fit.other_width if j == len(shown) else fit.cell
        text.append(" " + right(crop(header, w), w), style="bold")
    text.append(" │ " + " ".join(right(h, w) for h, w in metrics) + "\n", style="bold")

    precision, recall, f1, support = c.precision, c.recall, c.f1, c.support
    totals = folded.sum(axis=1)
    for i in range(len(folded)):
        is_other = i == len(shown)
        label = _("other {n} classes").format(n=n - len(shown)) if is_other else fit.labels[i]
        text.append(left(label, fit.label - 1) + " ", style="dim" if is_other else "")
        for j in range(len(folded)):
            count = int(folded[i, j])
            w = fit.other_width if j == len(shown) else fit.cell
            share = count / totals[i] if totals[i] else 0.0
            style = "dim" if not count else "" if is_other or j == len(shown) else \
                ("bold green" if i == j else "bold red") if share >= 0.05 else "dim"
            text.append(f" {count if count else '·':>{w}}", style=style)
        if is_other:
            scores = ["", "", "", f"{int(totals[i]):,}"]
        else:
            k = shown[i]
            scores = [_score(precision[k]), _score(recall[k]), _score(f1[k]), f"{int(support[k]):,}"]
        text.append(" │ " + " ".join(right(s, w) for s, (_header, w) in zip(scores, metrics)) + "\n")

    before_bar = fit.label + len(shown) * (fit.cell + 1) + (fit.other_width + 1) * fit.other
    label = _("macro avg ({n} classes)").format(n=present)
    text.append(left(label, before_bar), style="bold")
    scores = [_score(macro_p), _score(macro_r), _score(macro_f), f"{counted:,}"]
    text.append(" │ " + " ".join(right(s, w) for s, (_header, w) in zip(scores, metrics)), style="bold")
    return text


class ConfusionView(Widget):
    """The latest confusion matrix, laid out again for each size; a note while there is none."""

    DEFAULT_CSS = "ConfusionView { height: 1fr; }"

    def __init__(self, note: str, **kwargs):
        super().__init__(**kwargs)
        self.confusion: Confusion | None = None
        self.note = note

    def show(self, confusion: Confusion | None, note: str = "") -> None:
        self.confusion, self.note = confusion, note or self.note
        self.refresh()

    def render(self) -> Text:
        if self.confusion is None:
            return Text(self.note)
        return confusion_text(self.confusion, self.size.width, self.size.height)
