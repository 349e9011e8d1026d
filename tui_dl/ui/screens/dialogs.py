"""Small dialogs: a path prompt with a file browser, and the learning-rate prompt."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Static

from tui_dl.engine.config import learning_rate_problem
from tui_dl.i18n import N_, _

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".npz", ".gz", "-ubyte")


class DataFileTree(DirectoryTree):
    """A directory tree that shows folders and data files only."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")
                and (p.is_dir() or p.name.lower().endswith(DATA_SUFFIXES))]


class OpenFileDialog(ModalScreen[str | None]):
    """Type a path or browse to a CSV / NPZ / IDX file; enter opens it."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, start: Path):
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("[b]Open a data file[/b]  CSV with a header, .npz with x/y, or MNIST-style IDX"))
            yield Input(placeholder=_("path, then enter (or pick below)"), id="path")
            yield Static("", id="path-error", classes="error")
            yield DataFileTree(self.start, id="tree")

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(str(event.path))

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip():
            self.query_one("#path-error", Static).update(_("type a path, or pick a file below"))
        elif not path.exists():
            self.query_one("#path-error", Static).update(_("{path} does not exist").format(path=path))
        else:
            self.dismiss(str(path))


class LearningRateDialog(ModalScreen[float | None]):
    """Ask for a new learning rate; it applies from the next batch."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, current: float):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Label(_("[b]Learning rate[/b] (now {rate}); applies from the next batch").format(rate=f"{self.current:g}"))
            yield Input(f"{self.current:g}", id="lr")
            yield Static("", classes="error", id="lr-error")

    @on(Input.Submitted, "#lr")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            value = float(event.value)
        except ValueError:
            self.query_one("#lr-error", Static).update(_("learning rate must be a number, got {text!r}").format(text=event.value))
            return
        problem = learning_rate_problem(value)
        if problem is not None:
            self.query_one("#lr-error", Static).update(problem)
            return
        self.dismiss(value)


class ChoiceDialog(ModalScreen[str | None]):
    """A question with a few answers, each on its own key; enter takes the default, escape cancels (None)."""

    def __init__(self, question: str, choices: list[tuple[str, str, str]], default: str):
        """`choices`: (key, label, value); `default` is the value enter gives."""
        super().__init__()
        self.question, self.choices, self.default = question, choices, default

    def compose(self) -> ComposeResult:
        keys = "   ".join(f"[b]{key}[/b] {label}" + (" " + _("(enter)") if value == self.default else "")
                          for key, label, value in self.choices)
        with Vertical(classes="dialog small"):
            yield Label(self.question, id="question")
            yield Static(f"{keys}   " + _("[b]escape[/b] cancel"), id="answers")

    def on_key(self, event) -> None:
        chosen = {key: value for key, _label, value in self.choices}
        if event.key in chosen:
            self.dismiss(chosen[event.key])
        elif event.key == "enter":
            self.dismiss(self.default)
        elif event.key == "escape":
            self.dismiss(None)
        else:
            return
        event.stop()
