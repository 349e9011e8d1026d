"""The app's keys, in one list: the bindings, the command palette, the help screen and the key bar derive from it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from tui_dl.ui.widgets.insights.views import views_help


@dataclass(frozen=True)
class Key:
    """One app-wide key: `id` names it for remapping, `label` is the key bar's word, `title` the palette's entry."""

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
    def display(self) -> str:
        """How the help screen writes the key: `F5`, `ctrl+s`."""
        return self.key.upper() if self.key.startswith("f") and self.key[1:].isdigit() else self.key


APP_KEYS = (
    Key("help", "f1", "help", "Help", "Help", "keys and what the charts show"),
    Key("start", "f5", "start", "Start", "Start training",
        "start training (restart with the current settings; continue a loaded checkpoint)"),
    Key("pause", "f6", "pause", "Pause", "Pause / resume training", "pause / resume"),
    Key("step", "n", "step", "Step", "Step one batch",
        "while paused: train one batch (the charts and views show it)", priority=False, paused_only=True),
    Key("stop", "f7", "stop", "Stop", "Stop training", "stop at the next batch"),
    Key("change_lr", "f8", "change_lr", "LR", "Change learning rate", "change the learning rate (from the next batch)"),
    Key("tab_data", "f2", "show_tab('data')", "Data", "Show Data tab", "Data tab: data sets and files"),
    Key("tab_model", "f3", "show_tab('model')", "Model", "Show Model tab", "Model tab: layers, neurons, optimizer"),
    Key("tab_training", "f4", "show_tab('training')", "Train", "Show Training tab", "Training tab: live charts"),
    Key("tab_insights", "f9", "show_tab('insights')", "Insights", "Show Insights tab",
        f"Insights tab: {views_help()}"),
    Key("tab_runs", "f10", "show_tab('runs')", "Runs", "Show Runs tab", "Runs tab: past runs, compare, fork, continue"),
    Key("save", "ctrl+s", "save", "Save", "Save checkpoint", "save a checkpoint"),
    Key("load", "ctrl+o", "load", "Load", "Load checkpoint", "load a checkpoint"),
    Key("export", "ctrl+e", "export", "Export", "Export model",
        "export the model: ONNX, a plain PyTorch training script, or the predict command"),
    Key("open_file", "ctrl+f", "open_file", "Open file", "Open data file", "open a data file (CSV, NPZ, IDX)"),
    Key("help_key", "question_mark", "help", "Help", "Help", "this help (also F1)", shown=False, palette=False,
        priority=False),
    Key("quit", "ctrl+q", "quit", "Quit", "Quit", "quit (stops training cleanly)", palette=False),
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
    return [(k.title, f"{k.display}: {k.help}", k.action) for k in APP_KEYS if k.palette]


def help_rows() -> str:
    """The help screen's key table rows (markdown)."""
    return "\n".join(f"| {k.display} | {k.help} |" for k in APP_KEYS if k.id != "help_key")
