"""The Data tab: pick a data set or open a file, set its knobs, see its facts and a preview."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui_dl.engine.config import DataConfig
from tui_dl.engine.datasets import REGISTRY
from tui_dl.engine.rawdata import RawData
from tui_dl.ui.form import Field, choice, field_texts, text_input
from tui_dl.ui.widgets.charts import ThemedPlot

PREVIEW_POINTS = 1500
KNOB_FIELDS = ("samples", "noise", "window")


class DatasetPanel(Horizontal):
    """Data set list and knobs on the left; facts and a preview on the right."""

    @dataclass
    class Loaded(Message):
        """A data set was loaded for preview (or failed: `raw` is None and `error` says why)."""

        raw: RawData | None
        error: str | None

    def __init__(self, defaults: DataConfig, **kwargs):
        super().__init__(**kwargs)
        self.defaults = defaults
        self.file_path: str | None = None if defaults.dataset in REGISTRY else defaults.dataset

    def compose(self) -> ComposeResult:
        d = self.defaults
        with VerticalScroll(id="data-left", can_focus=False):
            options = [Option(f"{spec.name:<14} {spec.task}", id=spec.name) for spec in REGISTRY.values()]
            yield OptionList(*options, id="dataset-list")
            yield Button("Open file... (ctrl+f)", id="open-file", compact=True)
            yield Field("samples", text_input("data", "samples", d.samples), "synthetic sets: how many points")
            yield Field("noise", text_input("data", "noise", d.noise), "0 = clean, 1 = very noisy")
            yield Field("window", text_input("data", "window", d.window), "daily-views: days of history per input")
            yield Field("target", text_input("data", "target", d.target, "last column"), "CSV column to predict")
            yield Field("task", choice("data", "task", [(t, t) for t in ("auto", "classification", "regression")],
                                       d.task))
            yield Field("val split", text_input("data", "val_split", d.val_split), "fraction held out for validation")
            yield Field("test split", text_input("data", "test_split", d.test_split), "fraction held out for testing")
            yield Field("data seed", text_input("data", "seed", d.seed), "seed for generation and the split")
        with Vertical(id="data-right"):
            yield Static("", id="dataset-info")
            yield ThemedPlot(id="dataset-preview")
            yield DataTable(id="dataset-rows", show_cursor=False, zebra_stripes=True)

    def on_mount(self) -> None:
        self.fields = list(self.query(Field))
        names = list(REGISTRY)
        option_list = self.query_one("#dataset-list", OptionList)
        if self.file_path is None:
            option_list.highlighted = names.index(self.defaults.dataset)
        self._show_knobs()
        self.reload()

    @property
    def dataset(self) -> str:
        """The chosen data set: a registered name or a file path."""
        if self.file_path is not None:
            return self.file_path
        option_list = self.query_one("#dataset-list", OptionList)
        index = option_list.highlighted or 0
        return option_list.get_option_at_index(index).id

    def choose(self, dataset: str) -> None:
        """Select a registered data set or a file path."""
        if dataset in REGISTRY:
            self.file_path = None
            self.query_one("#dataset-list", OptionList).highlighted = list(REGISTRY).index(dataset)
        else:
            self.file_path = dataset
        self._show_knobs()
        self.reload()

    @on(OptionList.OptionHighlighted, "#dataset-list")
    def _highlighted(self) -> None:
        self.file_path = None
        self._show_knobs()
        self.reload()

    @on(Button.Pressed, "#open-file")
    def _open_file(self) -> None:
        self.app.action_open_file()

    @on(Input.Submitted)
    @on(Select.Changed, "#data-task")
    def _knob_changed(self) -> None:
        self.reload()

    def _show_knobs(self) -> None:
        spec = REGISTRY.get(self.dataset)
        knobs = spec.knobs if spec else ()
        for name in KNOB_FIELDS:
            self.query_one(f"#data-{name}-field").display = name in knobs
        self.query_one("#data-target-field").display = spec is None

    def config_values(self) -> dict[str, str]:
        """Text of every data field keyed by field id, plus the data set."""
        return {"data-dataset": self.dataset, **field_texts(self.fields)}

    def reload(self) -> None:
        """Load the chosen data set in the background and refresh facts and preview."""
        from tui_dl.ui.form import read_config

        config, errors = read_config(self.config_values(), {})
        bad = [m for k, m in errors.items() if k.startswith("data-")]
        if bad:
            self.query_one("#dataset-info", Static).update(f"[b]{self.dataset}[/b]\n[red]{bad[0]}[/]")
            return
        self.query_one("#dataset-info", Static).update(f"[b]{self.dataset}[/b]\nloading...")
        self._load(config.data)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _load(self, cfg: DataConfig) -> None:
        from tui_dl.engine.datasets import load_raw
        from tui_dl.engine.errors import UserError

        try:
            raw, error = load_raw(cfg), None
        except UserError as exc:
            raw, error = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - any unreadable file must become a message
            raw, error = None, f"cannot load {cfg.dataset}: {type(exc).__name__}: {exc}"
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, raw, error)

    def _show(self, raw: RawData | None, error: str | None) -> None:
        info = self.query_one("#dataset-info", Static)
        if raw is None:
            info.update(f"[b]{Path(self.dataset).name}[/b]\n[red]{error}[/]")
        else:
            classes = f"{len(raw.class_names)} classes ({', '.join(raw.class_names[:6])}" \
                      f"{', ...' if len(raw.class_names) > 6 else ''})" if raw.class_names else f"{raw.outputs} output(s)"
            lines = [f"[b]{raw.name}[/b]  {raw.task}, {raw.samples:,} samples, {raw.features} features, {classes}",
                     f"[dim]{raw.source}[/dim]"]
            lines += [f"[yellow]note:[/] {n}" for n in raw.notices]
            info.update("\n".join(lines))
            self._preview(raw)
        self.post_message(self.Loaded(raw, error))

    def _preview(self, raw: RawData) -> None:
        plot = self.query_one("#dataset-preview", ThemedPlot)
        table = self.query_one("#dataset-rows", DataTable)
        chartable = raw.features <= 2 and (raw.task == "classification" or raw.features == 1) or raw.name == "daily-views"
        plot.display, table.display = chartable, not chartable
        if chartable:
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
            plt.title("daily views (first 120 days): the weekly cycle")
            plt.xlabel("day")
            plot.refresh()
            return
        # An even spread of at most PREVIEW_POINTS samples: files are often sorted by class.
        pick = np.unique(np.linspace(0, raw.samples - 1, min(raw.samples, PREVIEW_POINTS)).astype(int))
        x, y = raw.x[pick], raw.y[pick]
        if raw.features == 1:
            plt.scatter(x[:, 0].tolist(), y[:, 0].tolist(), marker="dot", color="orange")
            plt.title("y against x")
        else:
            colors = ("cyan", "orange", "green", "magenta", "red", "blue")
            for index, name in enumerate(raw.class_names):
                mask = y == index
                if not mask.any():
                    continue
                plt.scatter(x[mask, 0].tolist(), x[mask, 1].tolist(), marker="dot", label=name,
                            color=colors[index % len(colors)])
            plt.title("x1 against x2, by class")
        plot.refresh()

    @staticmethod
    def _fill_table(table: DataTable, raw: RawData) -> None:
        table.clear(columns=True)
        shown = raw.feature_names[:8]
        table.add_columns(*shown, *(["..."] if raw.features > 8 else []), "target")
        for row in range(min(8, raw.samples)):
            target = raw.class_names[raw.y[row]] if raw.class_names else f"{raw.y[row, 0]:.4g}"
            cells = [f"{v:.4g}" for v in raw.x[row, :8]]
            table.add_row(*cells, *(["..."] if raw.features > 8 else []), target)
