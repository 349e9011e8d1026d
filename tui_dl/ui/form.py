"""Settings fields: compact labelled inputs, parsing their text, and mapping them to a RunConfig."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any, get_type_hints

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from tui_dl.engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from tui_dl.i18n import _
from tui_dl.ui.language import Relabels

SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


def field_id(section: str, name: str) -> str:
    """DOM id of the widget that edits `section.name` (e.g. `train-batch_size`)."""
    return f"{section}-{name}"


class Field(Vertical, Relabels):
    """A label, an editor, and a line under it for the reason a value is invalid."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: auto; }
    Field Label.name { width: 14; padding: 0 1 0 0; color: $text-muted; }
    Field Input, Field Select { width: 1fr; }
    Field .error { display: none; color: $text-error; padding-left: 14; }
    Field.-invalid .error { display: block; }
    Field.-invalid Label.name { color: $text-error; }
    Field.-focused Label.name { color: $text; background: $accent 40%; text-style: bold; }
    Field Input:focus, Field Select:focus > SelectCurrent { background: $accent 15%; }
    """

    def __init__(self, label: str, editor: Input | Select, tooltip: str | None = None):
        """`label` and `tooltip` in English, marked with N_: shown in the language in use."""
        super().__init__(id=f"{editor.id}-field")
        self.label = label
        self.tooltip_text = tooltip
        self.editor = editor
        self.editor.tooltip = _(tooltip) if tooltip else None
        self.error = Static("", classes="error")
        self.message: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(_(self.label), classes="name")
            yield self.editor
        yield self.error

    def relabel(self) -> None:
        self.query_one("Label.name", Label).update(_(self.label))
        self.editor.tooltip = _(self.tooltip_text) if self.tooltip_text else None

    def on_descendant_focus(self) -> None:
        self.add_class("-focused")  # a class, not :focus-within, so the label's style follows

    def on_descendant_blur(self) -> None:
        self.remove_class("-focused")

    @property
    def text(self) -> str:
        """The editor's current value as text."""
        return str(self.editor.value)

    def show_error(self, message: str | None) -> None:
        """Mark the field invalid with `message`, or clear it with None."""
        if message == self.message:
            return
        self.message = message
        self.set_class(message is not None, "-invalid")
        self.error.update(message or "")


def field_texts(fields: list[Field]) -> dict[str, str]:
    """Each field's text keyed by its editor's id (the `section-name` of `field_id`)."""
    return {f.editor.id: f.text for f in fields}


def text_input(section: str, name: str, value: Any, placeholder: str = "") -> Input:
    """A compact Input for one config field, showing `value`."""
    return Input(format_value(value), id=field_id(section, name), placeholder=placeholder, compact=True)


def choice(section: str, name: str, options: list[tuple[str, str]], value: str) -> Select:
    """A compact Select for one config field."""
    return Select(options, value=value, id=field_id(section, name), allow_blank=False, compact=True)


def relabel_choice(select: Select, options: list[tuple[str, str]]) -> None:
    """Give `select` new option labels (the same values), keeping its value."""
    value = select.value
    with select.prevent(Select.Changed):
        select.set_options(options)
        select.value = value
        select.mutate_reactive(Select.value)  # the label shown follows, also when the value did not change


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_value(kind: Any, text: str, label: str) -> Any:
    """Parse field text as the dataclass field's type; raise ValueError with a message for the user
    (`label`, the field's English name, is shown translated)."""
    text = text.strip()
    label = _(label)
    empty = _("{label} is empty").format(label=label)
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("{label} must be a whole number, got {text!r}").format(label=label, text=text)
                             if text else empty) from None
    if kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(_("{label} must be a number, got {text!r}").format(label=label, text=text)
                             if text else empty) from None
        if not math.isfinite(value):
            raise ValueError(_("{label} must be a finite number, got {text!r}").format(label=label, text=text))
        return value
    if kind == list[int]:
        parts = [p for p in text.replace(" ", ",").split(",") if p]
        if not parts:
            raise ValueError(_("{label} is empty: give one number for all layers, or one per layer (64,32)").format(
                label=label))
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise ValueError(_("{label} must be whole numbers separated by commas, got {text!r}").format(
                label=label, text=text)) from None
    if kind == list[str]:
        return [p.strip() for p in text.split(",") if p.strip()]
    if kind == str | None:
        return text or None
    return text


def read_config(values: dict[str, str], labels: dict[str, str]) -> tuple[RunConfig, dict[str, str]]:
    """Build a RunConfig from field texts keyed by field id; return it with errors keyed by field id.

    Fields whose text does not parse keep their default value in the returned config.
    """
    errors: dict[str, str] = {}
    built: dict[str, Any] = {}
    for section, kind in SECTIONS.items():
        hints = get_type_hints(kind)
        settings = kind()
        for f in fields(kind):
            key = field_id(section, f.name)
            if key not in values:
                continue
            try:
                setattr(settings, f.name, parse_value(hints[f.name], values[key], labels.get(key, f.name)))
            except ValueError as exc:
                errors[key] = str(exc)
        built[section] = settings
    config = RunConfig(**built)
    for path, message in config.problems():
        section, name = path.split(".")
        errors.setdefault(field_id(section, name), message)
    return config, errors
