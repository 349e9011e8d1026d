"""The Data tab: pick a data set or open a file, set its knobs and columns, see its facts and a preview."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui_dl.engine.config import MISSING_MODES, DataConfig
from tui_dl.engine.data.columns import column_notices, toggled
from tui_dl.engine.data.rawdata import RawData
from tui_dl.engine.data.registry import REGISTRY
from tui_dl.i18n import N_, _, ngettext
from tui_dl.ui.form import (
    Field,
    choice,
    field_id,
    field_texts,
    format_value,
    parse_value,
    relabel_choice,
    text_input,
)
from tui_dl.ui.language import Relabels
from tui_dl.ui.widgets.charts import ThemedPlot
from tui_dl.ui.widgets.column_list import ColumnList
from tui_dl.ui.widgets.image_grid import ImageGrid

PREVIEW_POINTS = 1500
PREVIEW_ROWS = 8
PREVIEW_COLUMNS = 8
KNOB_FIELDS = ("samples", "noise", "window")
COLUMN_FIELDS = ("target", "exclude", "include", "missing")  # a file's columns: not for built-in sets
TASKS = ("auto", "classification", "regression")
CHOICE_LABELS = {"auto": N_("auto"), "classification": N_("classification"), "regression": N_("regression"),
                 "impute": N_("impute"), "drop": N_("drop")}  # the task and missing values' choices, shown


def _data_set(spec) -> str:
    """A built-in data set's line in the list: its name and task."""
    return f"{spec.name:<14} {_(CHOICE_LABELS[spec.task])}"


def facts(raw: RawData) -> str:
    """The data set's task, target, size and classes: `classification, 1,000 samples, 2 features, 2 classes (0, 1)`."""
    if raw.class_names:
        names = ", ".join(raw.class_names[:6]) + (", ..." if len(raw.class_names) > 6 else "")
        classes = ngettext("{n} class ({names})", "{n} classes ({names})", len(raw.class_names)).format(
            n=len(raw.class_names), names=names)
    else:
        classes = _("{n} output(s)").format(n=raw.outputs)
    parts = [_(CHOICE_LABELS[raw.task])]
    if raw.plan:
        parts.append(_("target {name}").format(name=raw.plan.target.name))
    parts += [ngettext("{n} sample", "{n} samples", raw.samples).format(n=f"{raw.samples:,}"),
              ngettext("{n} feature", "{n} features", raw.features).format(n=raw.features), classes]
    return _(", ").join(parts)


class DatasetPanel(Horizontal, Relabels):
    """Data set list, knobs and column settings on the left; facts, the column list and a preview on the right."""

    @dataclass
    class Loaded(Message):
        """A data set was loaded for preview (or failed: `raw` is None and `error` says why)."""

        raw: RawData | None
        error: str | None

    def __init__(self, defaults: DataConfig, **kwargs):
        super().__init__(**kwargs)
        self.defaults = defaults
        self.dataset = defaults.dataset  # the chosen data set: a registered name or a file path
        self.knobs: dict[str, dict[str, str]] = {}  # per built-in set: its knob texts when last shown
        self.requested: DataConfig | None = None  # what the preview shows, or is loading
        self.columns_of: str | None = None  # the file whose columns the column list shows

    @property
    def file_path(self) -> str | None:
        return None if self.dataset in REGISTRY else self.dataset

    def compose(self) -> ComposeResult:
        d = self.defaults
        with VerticalScroll(id="data-left", can_focus=False):
            yield OptionList(*(Option(_data_set(spec), id=spec.name) for spec in REGISTRY.values()), id="dataset-list")
            yield Button(_("Open file... (ctrl+f)"), id="open-file", compact=True)
            yield Field(N_("samples"), text_input("data", "samples", d.samples), N_("synthetic sets: how many points"))
            yield Field(N_("noise"), text_input("data", "noise", d.noise), N_("0 = clean, 1 = very noisy"))
            yield Field(N_("window"), text_input("data", "window", d.window), N_("daily-views: days of history per input"))
            yield Field(N_("target"), text_input("data", "target", d.target, _("last column")),
                        N_("CSV column to predict (t in the column list)"))
            yield Field(N_("leave out"), text_input("data", "exclude", d.exclude, _("by the rules")),
                        N_("CSV columns to leave out, comma-separated (x in the column list)"))
            yield Field(N_("include"), text_input("data", "include", d.include),
                        N_("CSV columns to use although the rules leave them out (x in the column list)"))
            yield Field(N_("missing"), choice("data", "missing", [(_(CHOICE_LABELS[m]), m) for m in MISSING_MODES], d.missing),
                        N_("impute: fill in missing feature values; drop: drop those rows"))
            yield Field(N_("task"), choice("data", "task", [(_(CHOICE_LABELS[t]), t) for t in TASKS],
                                       d.task))
            yield Field(N_("val split"), text_input("data", "val_split", d.val_split), N_("fraction held out for validation"))
            yield Field(N_("test split"), text_input("data", "test_split", d.test_split), N_("fraction held out for testing"))
            yield Field(N_("data seed"), text_input("data", "seed", d.seed), N_("seed for generation and the split"))
        with Vertical(id="data-right"):
            yield Static("", id="dataset-info")
            yield ColumnList(id="column-list")
            yield ThemedPlot(id="dataset-preview")
            yield ImageGrid(id="dataset-images")
            yield DataTable(id="dataset-rows", show_cursor=False, zebra_stripes=True)

    def on_mount(self) -> None:
        self.fields = list(self.query(Field))
        self.query_one(ColumnList).display = False
        self._select(self.dataset)
        self._remember_knobs()
        self.reload()

    def relabel(self) -> None:
        """The list's tasks, the button, the hints and choices, and the facts (loaded again)."""
        options = self.query_one("#dataset-list", OptionList)
        for spec in REGISTRY.values():
            options.replace_option_prompt(spec.name, _data_set(spec))
        self.query_one("#open-file", Button).label = _("Open file... (ctrl+f)")
        self._input("target").placeholder, self._input("exclude").placeholder = _("last column"), _("by the rules")
        relabel_choice(self.query_one("#data-missing", Select), [(_(CHOICE_LABELS[m]), m) for m in MISSING_MODES])
        relabel_choice(self.query_one("#data-task", Select), [(_(CHOICE_LABELS[t]), t) for t in TASKS])
        self.reload()

    def _input(self, name: str) -> Input:
        return self.query_one(f"#{field_id('data', name)}", Input)

    def _names(self, name: str) -> list[str]:
        return parse_value(list[str], self._input(name).value, name)

    def choose(self, dataset: str, settings_applied: bool = False) -> None:
        """Select a registered data set or a file path, keeping the knobs as they are. With `settings_applied`
        (a fork, a checkpoint) the column fields were just set for this file: a new file keeps them too."""
        self._select(dataset, settings_applied)
        self._remember_knobs()
        self.reload()

    def _select(self, dataset: str, settings_applied: bool = False) -> None:
        option_list = self.query_one("#dataset-list", OptionList)
        new_file = dataset not in REGISTRY and dataset != self.file_path and not settings_applied
        self.dataset = dataset
        # Set after self.dataset, so the OptionHighlighted it posts is seen as no change.
        option_list.highlighted = list(REGISTRY).index(dataset) if dataset in REGISTRY else None
        if new_file:
            self._fit_columns(Path(dataset))
        spec = REGISTRY.get(dataset)
        for name in KNOB_FIELDS:
            self.query_one(f"#data-{name}-field").display = spec is not None and name in spec.knobs
        for name in COLUMN_FIELDS:
            self.query_one(f"#data-{name}-field").display = spec is None

    def _fit_columns(self, path: Path) -> None:
        """A new file keeps the target where it has that column, and starts without column overrides: those
        were chosen for another table (an ID put back in one file must not leak into the next)."""
        from tui_dl.engine.data.files import csv_header

        header = csv_header(path) or []
        target = self._input("target")
        if target.value.strip() and target.value.strip() not in header:
            target.value = ""  # its default: the last column
        for name in ("exclude", "include"):
            self._input(name).value = ""

    @on(OptionList.OptionHighlighted, "#dataset-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id == self.dataset or event.option_index != event.option_list.highlighted:
            return  # what choosing posted, or a highlight already replaced
        self._select(event.option.id)
        saved = self.knobs.get(self.dataset, {name: format_value(getattr(self.defaults, name)) for name in KNOB_FIELDS})
        for name, text in saved.items():  # each set has its own samples, noise and window
            self._input(name).value = text
        self.reload()

    @on(Input.Changed, "#data-samples, #data-noise, #data-window")
    def _remember_knobs(self) -> None:
        if self.dataset in REGISTRY:
            self.knobs[self.dataset] = {name: self._input(name).value for name in KNOB_FIELDS}

    @on(Button.Pressed, "#open-file")
    def _open_file(self) -> None:
        self.app.action_open_file()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.reload()

    @on(Input.Blurred)
    @on(Select.Changed, "#data-task, #data-missing")
    def _edited(self) -> None:
        self.reload(changed_only=True)

    @on(ColumnList.TargetChosen)
    def _target_chosen(self, event: ColumnList.TargetChosen) -> None:
        name = event.column.name
        self._input("target").value = name
        for field in ("exclude", "include"):
            self._input(field).value = format_value([n for n in self._names(field) if n != name])
        self.reload()

    @on(ColumnList.Toggled)
    def _toggled(self, event: ColumnList.Toggled) -> None:
        column, plan = event.column, self.query_one(ColumnList).plan
        if column.role == "feature" and [c.name for c in plan.features] == [column.name]:
            self.notify(_("{name!r} is the only feature: use another column first").format(name=column.name),
                        severity="warning")
            return
        exclude, include = toggled(column, self._names("exclude"), self._names("include"))
        self._input("exclude").value = format_value(exclude)
        self._input("include").value = format_value(include)
        self.reload()

    def config_values(self) -> dict[str, str]:
        """Text of every data field keyed by field id, plus the data set; a file's column fields only for files."""
        values = {"data-dataset": self.dataset, **field_texts(self.fields)}
        if self.file_path is None:
            values.update({field_id("data", name): "" for name in ("target", "exclude", "include")})
        return values

    def reload(self, changed_only: bool = False) -> None:
        """Load the chosen data set in the background and refresh facts and preview.

        With `changed_only`, only when the settings differ from what is shown (leaving a field).
        """
        from tui_dl.ui.form import read_config

        config, errors = read_config(self.config_values(), {})
        if changed_only and not errors and config.data == self.requested:
            return
        info = self.query_one("#dataset-info", Static)
        bad = [m for k, m in errors.items() if k.startswith("data-")]
        self.requested = None if bad else config.data
        if bad:
            info.update(f"[b]{self.dataset}[/b]\n[red]{bad[0]}[/]")
            return
        info.update(f"[b]{self.dataset}[/b]\n" + _("loading..."))
        self._load(config.data)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _load(self, cfg: DataConfig) -> None:
        from tui_dl.engine.data.registry import load_raw
        from tui_dl.engine.errors import UserError

        try:
            raw, error = load_raw(cfg), None
        except UserError as exc:
            raw, error = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - any unreadable file must become a message
            raw, error = None, _("cannot load {dataset}: {error}").format(dataset=cfg.dataset,
                                                                          error=f"{type(exc).__name__}: {exc}")
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, cfg, raw, error)

    def _show(self, cfg: DataConfig, raw: RawData | None, error: str | None) -> None:
        if cfg != self.requested:  # settings changed while it loaded: a newer load is coming
            return
        info = self.query_one("#dataset-info", Static)
        columns = self.query_one(ColumnList)
        if raw is None:
            info.update(f"[b]{Path(self.dataset).name}[/b]\n[red]{error}[/]")
            for preview in ("#dataset-preview", "#dataset-images", "#dataset-rows"):
                self.query_one(preview).display = False
            if self.columns_of != self.file_path:  # the same file keeps its list: its keys can undo the change
                columns.display, self.columns_of = False, None
        else:
            lines = [f"[b]{raw.name}[/b]  {facts(raw)}", f"[dim]{_(raw.source)}[/dim]"]  # a built-in set's source is marked
            shown = raw.plan is not None and self.file_path is not None
            listed = set(column_notices(raw.plan)) if shown else set()  # the column list says these
            lines += [_("[yellow]note:[/] {notice}").format(notice=n) for n in raw.notices if n not in listed]
            info.update("\n".join(lines))
            self._preview(raw)
            columns.show(raw.plan if shown else None)
            opened = shown and self.columns_of != self.file_path
            columns.display, self.columns_of = shown, self.file_path if shown else None
            if opened and self.app.focused in (None, *self.query("#dataset-list, #open-file")):
                columns.focus()  # a new file: choosing its target is next
        self.post_message(self.Loaded(raw, error))

    def _preview(self, raw: RawData) -> None:
        """Images as a grid, 1-D and 2-D data as a chart, anything else as a table of its first rows."""
        plot = self.query_one("#dataset-preview", ThemedPlot)
        images = self.query_one("#dataset-images", ImageGrid)
        table = self.query_one("#dataset-rows", DataTable)
        classification = raw.task == "classification"
        chartable = raw.features == (2 if classification else 1) or raw.name == "daily-views"
        kind = "images" if raw.image_shape else "chart" if chartable else "table"
        plot.display, images.display, table.display = kind == "chart", kind == "images", kind == "table"
        if kind == "images":
            images.show(raw)
        elif kind == "chart":
            self._draw_preview(plot, raw)
        else:
            self._fill_table(table, raw)

    @staticmethod
    def _draw_preview(plot: ThemedPlot, raw: RawData) -> None:
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if raw.name == "daily-views":
            days = min(raw.samples, 120)
            plt.plot(list(range(days)), raw.y[:days, 0].tolist(), marker="braille", color="orange")
            plt.title(_("daily views (first 120 days): the weekly cycle"))
            plt.xlabel(_("day"))
            plot.refresh()
            return
        # An even spread of at most PREVIEW_POINTS samples: files are often sorted by class.
        pick = np.unique(np.linspace(0, raw.samples - 1, min(raw.samples, PREVIEW_POINTS)).astype(int))
        pick = pick[np.isfinite(raw.x[pick]).all(axis=1)]  # a CSV's missing numbers are NaN until prepared
        x, y = raw.x[pick], raw.y[pick]
        if raw.features == 1:
            plt.scatter(x[:, 0].tolist(), y[:, 0].tolist(), marker="dot", color="orange")
            plt.title(_("y against x"))
        else:
            colors = ("cyan", "orange", "green", "magenta", "red", "blue")
            for index, name in enumerate(raw.class_names):
                mask = y == index
                if not mask.any():
                    continue
                plt.scatter(x[mask, 0].tolist(), x[mask, 1].tolist(), marker="dot", label=name,
                            color=colors[index % len(colors)])
            plt.title(_("x1 against x2, by class"))
        plot.refresh()

    @staticmethod
    def _fill_table(table: DataTable, raw: RawData) -> None:
        """The first rows as the model sees them (missing numbers NA), the target first and marked."""
        table.clear(columns=True)
        more = ["..."] if raw.features > PREVIEW_COLUMNS else []
        target = raw.plan.target.name if raw.plan else _("target")
        table.add_columns(Text(_("{name} (target)").format(name=target), style="bold reverse"), *raw.feature_names[:PREVIEW_COLUMNS], *more)
        for row in range(min(PREVIEW_ROWS, raw.samples)):
            value = raw.class_names[raw.y[row]] if raw.class_names else f"{raw.y[row, 0]:.4g}"
            cells = ["NA" if np.isnan(v) else f"{v:.4g}" for v in raw.x[row, :PREVIEW_COLUMNS]]
            table.add_row(Text(value, style="bold"), *cells, *more)
