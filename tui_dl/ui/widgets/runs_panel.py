"""The Runs tab: past runs in a sortable, filterable table; selected runs overlaid in one chart."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from tui_dl.engine.runs import listing, recorder
from tui_dl.engine.runs.labels import run_labels, run_settings
from tui_dl.i18n import N_, _, ngettext
from tui_dl.ui.language import Relabels
from tui_dl.ui.screen_state import describe_state
from tui_dl.ui.series import ChartOptions, Timeline
from tui_dl.ui.widgets.chart_keys import CHART_BINDINGS, ChartKeys, options_hint
from tui_dl.ui.widgets.charts import RUN_COLORS, Curve, OptionsChart

# Overlay metrics: (key in metrics.jsonl, chart title). grad_norm_1 is the first layer's gradient norm.
# `m` offers those the overlaid runs have (accuracy for classification, MAE and R² for regression).
METRICS = (("val_loss", N_("validation loss")), ("train_loss", N_("training loss")),
           ("val_acc", N_("validation accuracy")), ("train_acc", N_("training accuracy")),
           ("val_mae", N_("validation MAE")), ("val_r2", N_("validation R²")),
           ("grad_norm_1", N_("gradient norm at layer 1")), ("lr", N_("learning rate")))
TITLES = dict(METRICS)
SORT_ORDER = tuple(listing.SORTS)
LIVE_RELOAD_S = 2.0  # while a run trains, the list and overlay are reread at most this often
FAINT = (90, 90, 90)


@dataclass
class RunCurves:
    """The epoch records of one run as columns, cached by the metrics file's size and time."""

    stamp: tuple[int, float]
    columns: dict[str, np.ndarray]

    @classmethod
    def read(cls, folder: Path, stamp: tuple[int, float]) -> RunCurves:
        records = listing.read_metrics(folder)
        keys = {"epoch", "step", "seconds", *(k for k, _ in METRICS if k != "grad_norm_1")}
        columns = {k: np.array([r.get(k, math.nan) if r.get(k) is not None else math.nan for r in records],
                               dtype=np.float64) for k in keys}
        columns["grad_norm_1"] = np.array([(r.get("grad_norms") or [math.nan])[0] for r in records], dtype=np.float64)
        return cls(stamp, columns)

    @property
    def timeline(self) -> Timeline:
        return Timeline.from_columns(self.columns["epoch"], self.columns["step"], self.columns["seconds"])


def _stamp(folder: Path) -> tuple[int, float]:
    try:
        info = (folder / recorder.METRICS).stat()
    except OSError:
        return (0, 0.0)
    return info.st_size, info.st_mtime


class RunsPanel(ChartKeys, Vertical, Relabels):
    """Runs under the runs folder (live ones first): keys attach, select, sort, filter, overlay, fork, continue."""

    BINDINGS = [
        Binding("space", "toggle", N_("Select"), priority=False),
        Binding("a", "attach", N_("Attach")),
        Binding("slash", "filter", N_("Filter"), key_display="/"),
        Binding("o", "sort", N_("Sort")),
        Binding("r", "reverse", N_("Reverse"), show=False),
        Binding("m", "metric", N_("Metric")),
        Binding("f", "fork", N_("Fork")),
        Binding("c", "continue_run('last')", N_("Continue")),
        Binding("b", "continue_run('best')", N_("From best"), show=False),
        Binding("escape", "leave_input", N_("Table"), show=False),
        *CHART_BINDINGS,
    ]

    class Fork(Message):
        """Load this run's config into the builder."""

        def __init__(self, folder: Path):
            super().__init__()
            self.folder = folder

    class FolderChanged(Message):
        """New runs are to be recorded in this folder."""

        def __init__(self, folder: Path):
            super().__init__()
            self.folder = folder

    class Attach(Message):
        """Watch and control this live run."""

        def __init__(self, folder: Path):
            super().__init__()
            self.folder = folder

    class Continue(Message):
        """Load this checkpoint to continue training."""

        def __init__(self, checkpoint: Path):
            super().__init__()
            self.checkpoint = checkpoint

    def __init__(self, root: Path, **kwargs):
        super().__init__(**kwargs)
        self.root = root
        self.chart_options = ChartOptions(smoothing=0.0)
        self.summaries: list[recorder.RunSummary] = []
        self.shown: list[recorder.RunSummary] = []
        self.selected: list[str] = []  # run names, in selection order (their overlay colours)
        self.sort_by, self.reverse = "started", False
        self.metric = METRICS[0][0]  # the one `m` chose; shown when the overlaid runs have it
        self.shown_metric = self.metric
        self.columns = listing.COLUMNS
        self.cache: dict[str, RunCurves] = {}
        self.settings: dict[str, dict[str, str]] = {}  # run name -> its settings, for the legend
        self.loaded_at = 0.0
        self.chart = OptionsChart(self.chart_options, id="runs-chart")

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-top"):
            yield Label(_("runs folder") + " ", id="runs-dir-label")
            yield Input(str(self.root), id="runs-dir")
            yield Label(" " + _("filter") + " ", id="runs-filter-label")
            yield Input(placeholder=_("/ to filter: name, data set, model, status..."), id="runs-filter")
        yield Static("", id="runs-note")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True, fixed_columns=2)
        yield Static("", id="runs-options")
        yield self.chart

    def on_mount(self) -> None:
        self._set_columns(listing.columns_for([]))  # rows come when the tab is shown (the app calls reload)

    def _set_columns(self, columns: tuple[listing.Column, ...]) -> None:
        """The selection mark, then `columns` (those the listed runs have values for)."""
        self.columns = columns
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("", key="mark", width=2)
        for column in columns:
            table.add_column(Text(_(column.title), justify="right" if column.numeric else "left"), key=column.title)

    # data ---------------------------------------------------------------------------------------

    def relabel(self) -> None:
        self.query_one("#runs-dir-label", Label).update(_("runs folder") + " ")
        self.query_one("#runs-filter-label", Label).update(" " + _("filter") + " ")
        self.query_one("#runs-filter", Input).placeholder = _("/ to filter: name, data set, model, status...")
        self._set_columns(self.columns)
        self._fill()

    def reload(self) -> None:
        """Read the runs folder again and redraw the table and the overlay."""
        self.loaded_at = time.monotonic()
        self.summaries = listing.list_runs(self.root)
        names = {s.name for s in self.summaries}
        self.selected = [name for name in self.selected if name in names]
        self._fill()

    def reload_if_due(self) -> None:
        if time.monotonic() - self.loaded_at >= LIVE_RELOAD_S:
            self.reload()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        wanted = self.query_one("#runs-filter", Input).value.strip().lower()
        cursor = self._cursor_run()
        columns = listing.columns_for(self.summaries)
        if columns != self.columns:
            self._set_columns(columns)
        rows = [(s, listing.cells(s, columns)) for s in listing.sort_runs(self.summaries, self.sort_by, self.reverse)]
        rows = [(s, cells) for s, cells in rows if not wanted or wanted in " ".join(cells).lower()]
        self.shown = [s for s, _ in rows]
        scrolled = table.scroll_x  # clear() scrolls back to the left: a live reload must not
        table.clear()
        for summary, cells in rows:
            table.add_row(self._mark(summary.name), *(Text(c, justify="right" if col.numeric else "left")
                                                      for c, col in zip(cells, columns)), key=summary.name)
        if cursor is not None and cursor in {s.name for s in self.shown}:
            table.move_cursor(row=table.get_row_index(cursor))
        if scrolled:
            self.call_after_refresh(table.scroll_to, x=scrolled, animate=False)
        total = len(self.summaries)
        if not total:
            note = _("no runs in {folder} yet: each training run (F5) is recorded here").format(folder=self.root)
        else:
            where = (ngettext("{shown} of {n} run", "{shown} of {n} runs", total) if wanted
                     else ngettext("{n} run", "{n} runs", total)).format(shown=len(self.shown), n=total)
            sort = (_("{where} in {folder}, sorted by {column} (reversed)") if self.reverse
                    else _("{where} in {folder}, sorted by {column}"))
            note = sort.format(where=where, folder=self.root, column=_(self.sort_by)) + "  " + _(
                "[dim](o: next column, r: reverse)[/]")
        self.query_one("#runs-note", Static).update(note, layout=False)
        self._draw()

    def _mark(self, name: str) -> Text:
        if name not in self.selected:
            return Text("")
        index = self.selected.index(name)
        return Text(f"{index + 1}", style=f"bold reverse {RUN_COLORS[index % len(RUN_COLORS)]}")

    def _cursor_run(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.shown or table.cursor_row >= len(self.shown) or table.cursor_row < 0:
            return None
        return self.shown[table.cursor_row].name

    def cursor_summary(self) -> recorder.RunSummary | None:
        """The run under the cursor, if any."""
        name = self._cursor_run()
        return self._summary(name) if name is not None else None

    def _summary(self, name: str) -> recorder.RunSummary | None:
        return next((s for s in self.summaries if s.name == name), None)

    def _curves(self, summary: recorder.RunSummary) -> RunCurves:
        stamp = _stamp(summary.path)
        cached = self.cache.get(summary.name)
        if cached is None or cached.stamp != stamp:
            cached = self.cache[summary.name] = RunCurves.read(summary.path, stamp)
        return cached

    def _settings(self, summary: recorder.RunSummary) -> dict[str, str]:
        if summary.name not in self.settings:
            self.settings[summary.name] = run_settings(summary)
        return self.settings[summary.name]

    def _overlaid(self) -> list[tuple[int, recorder.RunSummary, RunCurves]]:
        """The runs the chart shows (the selected ones, else the one under the cursor) that have epochs.

        Each comes with its place in the selection, which gives its colour and number.
        """
        names = self.selected or ([self._cursor_run()] if self._cursor_run() else [])
        overlaid = []
        for index, name in enumerate(names):
            summary = self._summary(name)
            if summary is not None and summary.path is not None:
                data = self._curves(summary)
                if len(data.columns["epoch"]):
                    overlaid.append((index, summary, data))
        return overlaid

    @staticmethod
    def _offered(overlaid: list[tuple[int, recorder.RunSummary, RunCurves]]) -> list[str]:
        """The metrics `m` offers: those an overlaid run has values for (validation loss when there are none)."""
        keys = [k for k, _ in METRICS if any(np.isfinite(data.columns[k]).any() for _, _, data in overlaid)]
        return keys or [METRICS[0][0]]

    def _draw(self) -> None:
        """Overlay the selected runs (or the run under the cursor) for the chosen metric."""
        overlaid = self._overlaid()
        offered = self._offered(overlaid)
        key = self.shown_metric = self.metric if self.metric in offered else offered[0]
        labels = run_labels([s for _, s, _ in overlaid], [self._settings(s) for _, s, _ in overlaid])
        since = self.chart.since(max((float(data.columns["epoch"][-1]) for _, _, data in overlaid), default=0.0))
        curves = []
        for (index, _summary, data), label in zip(overlaid, labels):
            epochs, keep = data.columns["epoch"], data.columns["epoch"] > since
            color = RUN_COLORS[index % len(RUN_COLORS)] if self.selected else RUN_COLORS[0]
            curves.append(Curve((epochs[keep].tolist(), data.columns[key][keep].tolist()), (color, FAINT),
                                f"{index + 1} {label}", data.timeline))
        what, keys = (_("selected runs"), []) if self.selected else (_("run under the cursor"), [_("space: select")])
        keys += [_("m: metric")] if len(offered) > 1 else []
        self.chart.plot(f"{_(TITLES[key])}: {what}" + (f"  [{', '.join(keys)}]" if keys else ""), curves)
        self.query_one("#runs-options", Static).update(options_hint(self.chart_options), layout=False)

    def options_changed(self) -> None:
        self._draw()

    # keys ---------------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        if not self.selected:
            self._draw()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        """Enter attaches to a live run; on a run that has ended it selects it for the overlay."""
        name = self._cursor_run()
        if name is not None and self._summary(name).live:
            self.action_attach()
        else:
            self.action_toggle()

    def action_attach(self) -> None:
        """Watch and control the live run under the cursor."""
        name = self._cursor_run()
        if name is None:
            return
        summary = self._summary(name)
        if not summary.live:
            state = describe_state(summary.live_status)
            text = _("{name} is not training ({state})").format(name=name, state=state)
            if summary.path and (summary.path / recorder.LAST).is_file():
                text += _(": c continues it from its last.pt")
            self.app.notify(text, title=_("nothing to attach to"), severity="warning")
            return
        self.post_message(self.Attach(summary.path))

    def action_toggle(self) -> None:
        """Select the run under the cursor for the overlay, or unselect it."""
        name = self._cursor_run()
        if name is None:
            return
        if name in self.selected:
            self.selected.remove(name)
        else:
            self.selected.append(name)
        table = self.query_one(DataTable)
        for shown in self.shown:
            table.update_cell(shown.name, "mark", self._mark(shown.name))
        self._draw()

    def action_filter(self) -> None:
        self.query_one("#runs-filter", Input).focus()

    def action_leave_input(self) -> None:
        self.query_one(DataTable).focus()

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    @on(Input.Submitted, "#runs-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    @on(Input.Changed, "#runs-dir")
    def _dir_typed(self, event: Input.Changed) -> None:
        event.stop()  # applied on enter

    @on(Input.Submitted, "#runs-dir")
    def _dir_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        folder = Path(event.value.strip() or ".").expanduser()
        if folder.exists() and not folder.is_dir():
            self.app.notify(_("{folder} is a file, not a folder").format(folder=folder),
                            title=_("runs folder not changed"), severity="error")
            return
        self.root = folder
        self.post_message(self.FolderChanged(folder))
        self.selected.clear()
        self.reload()
        self.query_one(DataTable).focus()
        self.app.notify(_("new runs are recorded in {folder}").format(folder=folder), title=_("runs folder"))

    def action_sort(self) -> None:
        """Sort by the next column."""
        self.sort_by = SORT_ORDER[(SORT_ORDER.index(self.sort_by) + 1) % len(SORT_ORDER)]
        self._fill()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._fill()

    def action_metric(self) -> None:
        """Overlay the next metric the overlaid runs have."""
        offered = self._offered(self._overlaid())
        at = offered.index(self.shown_metric) + 1 if self.shown_metric in offered else 0
        self.metric = offered[at % len(offered)]
        self._draw()

    def action_fork(self) -> None:
        """Reload the run's config into the builder."""
        name = self._cursor_run()
        if name is not None:
            self.post_message(self.Fork(self._summary(name).path))

    def action_continue_run(self, which: str) -> None:
        """Load the run's last (or best) checkpoint to continue from it."""
        name = self._cursor_run()
        if name is None:
            return
        checkpoint = self._summary(name).path / (recorder.LAST if which == "last" else recorder.BEST)
        if not checkpoint.is_file():
            hint = _("press b for best.pt") if which == "last" else _("it has no improved epoch yet")
            self.app.notify(_("{name} has no {file} (last.pt is written every minute and when a run ends; best.pt "
                              "every few seconds): {hint}").format(name=name, file=checkpoint.name, hint=hint),
                            title=_("nothing to continue"), severity="warning")
            return
        self.post_message(self.Continue(checkpoint))
