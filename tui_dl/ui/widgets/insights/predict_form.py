"""The Predict view for tables: a field per feature column, prefilled with a validation row, and the prediction."""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from tui_dl.engine.data.rawdata import RawData
from tui_dl.i18n import N_, _
from tui_dl.ui.cells import left
from tui_dl.ui.widgets.insights.prediction import prediction_text, true_text

HINT_VALUES = 4  # one-hot values named in a field's placeholder


def hint(column) -> str:
    """What a column's field takes, for its placeholder."""
    if column.kind == "date":
        return _("a date like {date}").format(date=column.origin[:10])
    if column.kind == "numeric":
        return _("a number")
    shown = " | ".join(column.categories[:HINT_VALUES])
    return shown + (" | ..." if len(column.categories) > HINT_VALUES else "")


class TabularForm(Horizontal):
    """Fields on the left (one per feature column), the prediction and notes on the right."""

    BINDINGS = [
        Binding("up", "row(-1)", N_("Previous row"), priority=True),  # before the fields' scroll bindings
        Binding("down", "row(1)", N_("Next row"), priority=True),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.predictor = None
        self.raw: RawData | None = None
        self.rows: np.ndarray | None = None  # indices of raw's validation samples
        self.row = 0
        self.columns: list = []
        self.fields: list[Input] = []  # one per column
        self.prefilled: dict[str, str] = {}  # the cells of the row shown, to tell whether they were edited
        self._pending = False

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="form-fields")
        with Vertical(id="form-result"):
            yield Static("", id="form-row")
            yield Static("", id="form-prediction")
            yield Static("", id="form-notes")

    def focus_input(self) -> None:
        if self.fields:
            self.fields[0].focus()

    def use(self, predictor, raw: RawData | None, rows: np.ndarray | None) -> None:
        """Show the fields of `predictor`'s columns (kept, with what was typed, when they are the same)."""
        names = [c.name for c in predictor.plan.features]
        same = self.predictor is not None and names == [c.name for c in self.columns] and raw is self.raw
        self.predictor, self.raw, self.rows = predictor, raw, rows
        if same:
            self._predict()
            return
        self.columns, self.row = list(predictor.plan.features), 0
        box = self.query_one("#form-fields", VerticalScroll)
        box.remove_children()
        width = min(max(cell_len(n) for n in names), 18) + 1
        self.fields = [Input(placeholder=hint(c), classes="form-input") for c in self.columns]
        box.mount_all(Horizontal(Label(left(c.name, width - 1) + " ", classes="form-label"), field,
                                 classes="form-line") for c, field in zip(self.columns, self.fields))
        self.call_after_refresh(self._fill)

    def _fill(self) -> None:
        """Put the current validation row into the fields (empty fields without data)."""
        from tui_dl.engine.use.predictor import row_cells

        if self.raw is not None and self.rows is not None and len(self.rows):
            self.prefilled = row_cells(self.predictor.plan, self.raw.x[self.rows[self.row]])
        else:
            self.prefilled = {}
        for column, field in zip(self.columns, self.fields):
            field.value = self.prefilled.get(column.name, "")
        self._schedule()

    def on_resize(self) -> None:
        self._schedule()  # the bars fit the new width

    def action_row(self, step: int) -> None:
        """Show the previous or next validation row."""
        if self.rows is None or not len(self.rows):
            self.app.notify(_("no data rows to pick from: the model's data set is not loaded"), severity="warning")
            return
        self.row = (self.row + step) % len(self.rows)
        self._fill()

    @on(Input.Changed, ".form-input")
    def _edited(self, event: Input.Changed) -> None:
        event.stop()  # the app validates its settings on every Input.Changed: not these
        self._schedule()

    def _schedule(self) -> None:
        """Predict once after this round of changes (filling every field sends one message per field)."""
        if not self._pending:
            self._pending = True
            self.call_after_refresh(self._predict)

    def _predict(self) -> None:
        from tui_dl.engine.errors import UserError

        self._pending = False
        if self.predictor is None or not self.columns:
            return
        p = self.predictor
        typed = {c.name: f.value.strip() for c, f in zip(self.columns, self.fields)}
        shown = self.rows is not None and len(self.rows) and typed == self.prefilled
        if self.rows is not None and len(self.rows):
            place = (_("validation row {row} of {n}") if shown else _("validation row {row} of {n}, edited")).format(
                row=self.row + 1, n=len(self.rows))
        else:
            place = _("your row")
        self.query_one("#form-row", Static).update(Text(place, "dim"))
        try:
            outputs, encoded = p.predict_cells({name: [value] for name, value in typed.items()})
        except UserError as exc:
            self.query_one("#form-prediction", Static).update(Text(str(exc), "red"))
            self.query_one("#form-notes", Static).update("")
            return
        notes = [_("{name}: missing, filled in as in training").format(name=name) for name in encoded.imputed]
        notes += [_("{name}: {value!r} was not seen in training (all zeros)").format(name=name, value=values[0])
                  for name, values in encoded.unseen.items()]
        if encoded.empty[0]:
            missing = ", ".join(encoded.not_filled)
            self.query_one("#form-prediction", Static).update(Text(
                _("no prediction: {columns} is missing, and training never filled it in").format(columns=missing),
                "yellow"))
        else:
            truth = true_text(p, self.raw, int(self.rows[self.row])) if shown else None
            box = self.query_one("#form-result")
            self.query_one("#form-prediction", Static).update(prediction_text(
                p, outputs[0], truth, box.content_size.width or 30, (box.content_size.height or 20) - 3 - len(notes)))
        self.query_one("#form-notes", Static).update(Text("\n".join(notes), "yellow"))
