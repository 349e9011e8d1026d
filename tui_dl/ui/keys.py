"""The app's keys, in one list: the bindings, the command palette, the help screen and the key bar derive from it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from tui_dl.i18n import N_, _
from tui_dl.ui.widgets.insights.views import views_help


@dataclass(frozen=True)
class Key:
    """One app-wide key: `id` names it for remapping, `label` is the key bar's word, `title` the palette's entry.

    `label`, `title` and `help` are English (marked with N_): the key bar, palette and help translate them."""

    id: str
    key: str
    action: str
    label: str
    title: str
    help: str
    shown: bool = True  # in the key bar
    palette: bool = True  # in the command palette
    priority: bool = True  # before a focused text field (every key but a printable one)
    paused_only: bool = False  # in the key bar only while a run is paused

    @property
    def described(self) -> str:
        """`help` in the language in use (the Insights tab's with its views)."""
        return _(self.help).format(views=views_help())

    @property
    def display(self) -> str:
        """How the help screen writes the key: `F5`, `ctrl+s`."""
        return self.key.upper() if self.key.startswith("f") and self.key[1:].isdigit() else self.key


APP_KEYS = (
    Key("help", "f1", "help", N_("Help"), N_("Help"), N_("keys and what the charts show")),
    Key("start", "f5", "start", N_("Start"), N_("Start training"),
        N_("start training (restart with the current settings; continue a loaded checkpoint)")),
    Key("pause", "f6", "pause", N_("Pause"), N_("Pause / resume training"), N_("pause / resume")),
    Key("step", "n", "step", N_("Step"), N_("Step one batch"),
        N_("while paused: train one batch (the charts and views show it)"), priority=False, paused_only=True),
    Key("stop", "f7", "stop", N_("Stop"), N_("Stop training"), N_("stop at the next batch")),
    Key("change_lr", "f8", "change_lr", N_("LR"), N_("Change learning rate"), N_("change the learning rate (from the next batch)")),
    Key("tab_data", "f2", "show_tab('data')", N_("Data"), N_("Show Data tab"), N_("Data tab: data sets and files")),
    Key("tab_model", "f3", "show_tab('model')", N_("Model"), N_("Show Model tab"), N_("Model tab: layers, neurons, optimizer")),
    Key("tab_training", "f4", "show_tab('training')", N_("Train"), N_("Show Training tab"), N_("Training tab: live charts")),
    Key("tab_insights", "f9", "show_tab('insights')", N_("Insights"), N_("Show Insights tab"),
        N_("Insights tab: {views}")),
    Key("tab_runs", "f10", "show_tab('runs')", N_("Runs"), N_("Show Runs tab"), N_("Runs tab: past runs, compare, fork, continue")),
    Key("save", "ctrl+s", "save", N_("Save"), N_("Save checkpoint"), N_("save a checkpoint")),
    Key("load", "ctrl+o", "load", N_("Load"), N_("Load checkpoint"), N_("load a checkpoint")),
    Key("export", "ctrl+e", "export", N_("Export"), N_("Export model"),
        N_("export the model: ONNX, a plain PyTorch training script, or the predict command")),
    Key("open_file", "ctrl+f", "open_file", N_("Open file"), N_("Open data file"), N_("open a data file (CSV, NPZ, IDX)")),
    Key("help_key", "question_mark", "help", N_("Help"), N_("Help"), N_("this help (also F1)"), shown=False, palette=False,
        priority=False),
    Key("quit", "ctrl+q", "quit", N_("Quit"), N_("Quit"), N_("quit (stops training cleanly)"), palette=False),
)

# The keys that matter most on each tab, shown first in the key bar (after F1 and the focused widget's own).
TAB_KEYS = {
    "data": ("open_file", "start", "tab_model", "tab_training"),
    "model": ("start", "tab_data", "tab_training"),
    "training": ("start", "pause", "step", "stop", "change_lr", "save", "export", "tab_insights"),
    "insights": ("start", "pause", "step", "stop", "tab_training"),
    "runs": ("start", "load", "export", "tab_training"),
}


PAUSED_ONLY = frozenset(k.id for k in APP_KEYS if k.paused_only)


def bindings() -> list[Binding]:
    """The app's BINDINGS (with priority, but for `?`, so they work while a text field has focus)."""
    return [Binding(k.key, k.action, k.label, show=k.shown, priority=k.priority, id=k.id) for k in APP_KEYS]


def palette_entries() -> list[tuple[str, str, str]]:
    """(title, help, action) of each command palette entry."""
    return [(_(k.title), f"{k.display}: {k.described}", k.action) for k in APP_KEYS if k.palette]


def help_rows() -> str:
    """The help screen's key table rows (markdown)."""
    return "\n".join(f"| {k.display} | {k.described} |" for k in APP_KEYS if k.id != "help_key")
