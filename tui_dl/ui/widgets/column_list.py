"""The Data tab's column list: each CSV column's kind and role, and keys to pick the target and what is left out."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui_dl.engine.data.columns import Column, ColumnPlan
from tui_dl.i18n import N_, _
from tui_dl.ui.language import Relabels

COLUMN_TITLES = (N_("column"), N_("kind"), N_("role"), N_("missing"), N_("how / why"))
KIND_LABELS = {"numeric": N_("numeric"), "categorical": N_("categorical"), "date": N_("date"), "text": N_("text")}
ROLE_LABELS = {"target": N_("target"), "feature": N_("feature"), "excluded": N_("left out")}


class ColumnList(DataTable, Relabels):
    """One row per column of a CSV file: name, kind, role, missing count, and why."""

    BINDINGS = [
        Binding("t", "target", N_("Set target"), id="column_target"),
        Binding("x", "toggle", N_("Leave out / use"), id="column_toggle"),
    ]

    @dataclass
    class TargetChosen(Message):
        """The user made `column` the target."""

        column: Column

    @dataclass
    class Toggled(Message):
        """The user switched `column` between feature and left out."""

        column: Column

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.plan: ColumnPlan | None = None

    def on_mount(self) -> None:
        self.add_columns(*(_(title) for title in COLUMN_TITLES))

    def relabel(self) -> None:
        self.clear(columns=True)
        self.on_mount()
        self.show(self.plan)

    def show(self, plan: ColumnPlan | None) -> None:
        """List the columns of `plan` (nothing for data without one), keeping the cursor on its row."""
        row = self.cursor_row
        same = self.plan is not None and plan is not None and [c.name for c in self.plan.columns] == [
            c.name for c in plan.columns]
        self.plan = plan
        self.clear()
        for column in plan.columns if plan else []:
            style = {"target": "bold", "excluded": "dim"}.get(column.role, "")
            cells = (column.name, _(KIND_LABELS[column.kind]), _(ROLE_LABELS[column.role]), f"{column.missing:,}" if column.missing else "",
                     column.reason)
            self.add_row(*(Text(c, style=style) for c in cells), key=column.name)
        if same and plan is not None:
            self.move_cursor(row=min(row, len(plan.columns) - 1))

    @property
    def current_column(self) -> Column | None:
        if self.plan is None or not 0 <= self.cursor_row < len(self.plan.columns):
            return None
        return self.plan.columns[self.cursor_row]

    def action_target(self) -> None:
        """Make the highlighted column the target."""
        column = self.current_column
        if column is not None and column.role != "target":
            self.post_message(self.TargetChosen(column))

    def action_toggle(self) -> None:
        """Leave the highlighted column out, or use it again."""
        column = self.current_column
        if column is None:
            return
        if column.role == "target":
            self.notify(_("the target cannot be left out: make another column the target first (t)"),
                        severity="warning")
            return
        self.post_message(self.Toggled(column))
