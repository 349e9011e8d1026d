"""The export dialog (ctrl+e): the model as ONNX, as a plain PyTorch training script, or the predict command."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.i18n import N_, _
from tui_dl.ui.model_source import ExportSource

# (id, label, default file name); the file name is None for the command
KINDS = (
    ("onnx", N_("ONNX graph, for any runtime (needs tui-dl[onnx])"), "model.onnx"),
    ("script", N_("PyTorch script that trains the same model again"), "train.py"),
    ("command", N_("the tui-dl predict command, copied"), None),
)


class ExportDialog(ModalScreen[str | None]):
    """Pick what to export (up / down), edit the path, enter writes it; returns what was done, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Close"))]

    def __init__(self, source: ExportSource):
        super().__init__()
        self.source = source
        self.paths = {kind: str(source.folder / name) for kind, _, name in KINDS if name}
        self.kind = KINDS[0][0]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small", id="export-dialog"):
            yield Label(Text.from_markup(_("[b]Export the model[/b] of {name}").format(name=escape(self.source.name))),
                        id="export-title")
            yield OptionList(*(Option(Text(_(label)), id=kind) for kind, label, _name in KINDS), id="export-kinds")
            yield Input(self.paths[self.kind], id="export-path")
            yield Static("", classes="error", id="export-error")
            yield Static(_("[b]up/down[/b] what   [b]tab[/b] the path   [b]enter[/b] export   [b]escape[/b] close"),
                         id="export-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(OptionList).focus()

    @on(OptionList.OptionHighlighted)
    def _kind_changed(self, event: OptionList.OptionHighlighted) -> None:
        field = self.query_one("#export-path", Input)
        if self.kind in self.paths:
            self.paths[self.kind] = field.value  # what was typed is kept for that kind
        self.kind = event.option.id
        field.value = self.paths.get(self.kind, self.source.predict_command())
        self._say("")

    @on(OptionList.OptionSelected)
    @on(Input.Submitted, "#export-path")
    def _submit(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._say(_("type a path") if self.kind != "command" else _("the command is empty"))
            return
        if self.kind == "command":
            self.app.copy_to_clipboard(text)
            self.dismiss(_("copied to the clipboard: {command}").format(command=text))
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self._say(_("{path} is a folder: give a file name").format(path=path))
            return
        self._say(_("exporting..."), error=False)
        self._export(self.kind, path)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, kind: str, path: Path) -> None:
        """Write the file on a worker thread (loading the checkpoint and importing onnx take a while)."""
        from tui_dl.engine.errors import UserError

        try:
            state = self.source.state()
            if kind == "onnx":
                from tui_dl.engine.use.onnx_export import export_onnx
                from tui_dl.engine.use.predictor import Predictor

                written = export_onnx(Predictor(state, self.source.name), path)
                done = _("wrote {file}: an ONNX graph taking the raw features (their recipe is in its metadata)").format(
                    file=written)
            else:
                from tui_dl.engine.use.script_export import export_script

                written = export_script(state, path, self.source.name)
                done = _("wrote {file}: python {name} trains the same model again").format(file=written, name=written.name)
        except UserError as exc:
            self.app.call_from_thread(self._say, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown in the dialog, never raised into the UI
            self.app.call_from_thread(self._say, _("export failed: {error}").format(error=f"{type(exc).__name__}: {exc}"))
            return
        self.app.call_from_thread(self.dismiss, done)

    def _say(self, text: str, error: bool = True) -> None:
        line = self.query_one("#export-error", Static)
        line.set_class(not error, "progress")
        line.update(Text(text))
