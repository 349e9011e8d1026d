"""Checkpoint dialogs: save to a chosen path, and load from a list of checkpoints with their facts."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from tui_dl.i18n import N_, _

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")
MAX_LISTED = 200


class SaveCheckpointDialog(ModalScreen[Path | None]):
    """Confirm or edit the path; enter saves."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, default: Path, epoch: int):
        super().__init__()
        self.default = default
        self.epoch = epoch

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Label(_("[b]Save checkpoint[/b] of epoch {epoch} (model, optimizer, settings, curves)").format(epoch=self.epoch))
            yield Input(str(self.default), id="save-path")
            yield Static("", classes="error", id="save-error")

    @on(Input.Submitted, "#save-path")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#save-error", Static).update(_("type a file path"))
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self.query_one("#save-error", Static).update(_("{path} is a folder; add a file name").format(path=path))
            return
        self.dismiss(path)


def find_checkpoints(root: Path) -> list[Path]:
    """Checkpoint files under `root`, newest first."""
    if not root.is_dir():
        return []
    found = [p for p in root.rglob("*") if p.suffix in CHECKPOINT_SUFFIXES and p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:MAX_LISTED]


class LoadCheckpointDialog(ModalScreen[tuple[Path, dict] | None]):
    """Pick a checkpoint from the list (data set, architecture, epoch, best loss) or type a path.

    Returns the path and the loaded checkpoint; a file that cannot be loaded is explained here and the
    dialog stays open.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, root: Path):
        super().__init__()
        self.root = root
        self.paths: list[Path] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("[b]Load checkpoint[/b]: type a path, or down to pick one of {folder} (enter loads)").format(
                folder=self.root))
            yield Input(placeholder=_("path to a checkpoint, then enter (down: the list)"), id="load-path",
                        select_on_focus=False)
            yield Static("", classes="error", id="load-error")
            yield DataTable(id="checkpoints", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("file"), _("data set"), _("architecture"), _("epoch"), _("best val loss"))
        self.query_one("#load-path", Input).focus()
        self._scan()

    def on_key(self, event) -> None:
        """Down from the path goes to the list; typing in the list goes to the path (never lost)."""
        path, table = self.query_one("#load-path", Input), self.query_one(DataTable)
        if self.focused is path and event.key == "down" and self.paths:
            table.focus()
            event.stop()
        elif self.focused is table and event.is_printable and event.character:
            path.focus()
            path.insert_text_at_cursor(event.character)
            event.stop()

    @work(thread=True, exclusive=True)
    def _scan(self) -> None:
        from tui_dl.engine.errors import UserError
        from tui_dl.engine.training.checkpoint import describe_checkpoint

        rows = []
        for path in find_checkpoints(self.root):
            try:
                info = describe_checkpoint(path)
            except UserError:
                continue
            best = f"{info.best_val_loss:.4f}" if info.best_val_loss is not None else "-"
            rows.append((path, (str(path.relative_to(self.root)), info.dataset, info.summary, str(info.epoch), best)))
        self.app.call_from_thread(self._fill, rows)

    def _fill(self, rows: list[tuple[Path, tuple[str, ...]]]) -> None:
        table = self.query_one(DataTable)
        self.paths = [path for path, _ in rows]
        for _path, cells in rows:
            table.add_row(*cells)
        if not rows:
            self.query_one("#load-error", Static).update(_("no checkpoints under {folder}; type a path above").format(folder=self.root))

    @on(DataTable.RowSelected)
    def _picked(self, event: DataTable.RowSelected) -> None:
        self._load(self.paths[event.cursor_row])

    @on(Input.Submitted, "#load-path")
    def _typed(self, event: Input.Submitted) -> None:
        self._load(Path(event.value.strip()).expanduser())

    def _load(self, path: Path) -> None:
        from tui_dl.engine.errors import UserError
        from tui_dl.engine.training.checkpoint import load_checkpoint

        try:
            state = load_checkpoint(path)
        except UserError as exc:
            self.query_one("#load-error", Static).update(_("not loaded: {error}").format(error=exc))
            return
        self.dismiss((path, state))
