"""The settings on the Data and Model tabs as one form: read into a RunConfig, checked, and filled from one."""

from __future__ import annotations

from textual.widgets import Input, Select
from textual.widgets.select import InvalidSelectValueError

from tui_dl.engine.config import RunConfig
from tui_dl.i18n import N_, _, ngettext
from tui_dl.ui.form import SECTIONS, field_id, format_value, read_config
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.shell import Shell
from tui_dl.ui.widgets.dataset_panel import DatasetPanel
from tui_dl.ui.widgets.feature_list import FeatureList
from tui_dl.ui.widgets.settings_panel import SettingsPanel

FIELD_LABELS = {  # English, shown translated in messages (form.parse_value)
    "model-layers": N_("hidden layers"), "model-neurons": N_("neurons"), "model-dropout": N_("dropout"),
    "model-features": N_("input features"), "train-lr": N_("learning rate"), "train-momentum": N_("momentum"),
    "train-reg_rate": N_("regularization rate"), "train-warmup": N_("warm-up"), "train-decay_epochs": N_("decay epochs"),
    "train-decay_factor": N_("decay factor"),
    "train-batch_size": N_("batch size"), "train-epochs": N_("epochs"), "train-early_stop": N_("early stop"),
    "train-seed": N_("seed"), "train-threads": N_("CPU threads"), "data-samples": N_("samples"), "data-noise": N_("noise"),
    "data-window": N_("window"),
    "data-val_split": N_("validation split"), "data-test_split": N_("test split"), "data-seed": N_("data seed"),
}
TAB_OF_SECTION = {"data": "data", "model": "model", "train": "model"}  # where each section's fields are


class SettingsForm:
    """Reads, checks and fills the fields of the DatasetPanel and the SettingsPanel; says the model in words
    (`shown.architecture`)."""

    def __init__(self, shell: Shell, shown: ScreenState) -> None:
        self.shell, self.shown = shell, shown

    def values(self) -> dict[str, str]:
        """Every field's text by field id."""
        values = self.shell.query_one(DatasetPanel).config_values()
        values.update(self.shell.query_one(SettingsPanel).config_values())
        return values

    def validate(self) -> tuple[RunConfig, dict[str, str]]:
        """Read every field, mark the invalid ones with their reason, refresh the architecture line."""
        raw = self.shown.raw
        config, errors = read_config(self.values(), FIELD_LABELS)
        settings = self.shell.query_one(SettingsPanel)
        for field in (*self.shell.query_one(DatasetPanel).fields, *settings.fields):
            field.show_error(errors.get(field.editor.id))
        model_ok = not any(key.startswith("model-") for key in errors)
        memory = None
        inputs = config.model.input_size(raw.features) if raw else None  # the features counted
        if raw is not None and model_ok:
            from tui_dl.engine.training.memory import estimate

            memory = estimate(config, inputs, raw.outputs, raw.samples, raw.task == "regression").total
        settings.show_architecture(inputs, raw.outputs if raw else None, config.model if model_ok else None, memory)
        self.shown.architecture = config.model.summary(inputs, raw.outputs, shown=True) if raw and model_ok else ""
        return config, errors

    def show_first_error(self, errors: dict[str, str]) -> None:
        """Say the first invalid field's reason and put the keyboard on it."""
        key, message = next(iter(errors.items()))
        more = ngettext("{message} (and {n} more)", "{message} (and {n} more)", len(errors) - 1)
        self.shell.notify(more.format(message=message, n=len(errors) - 1) if len(errors) > 1 else message,
                          title=_("fix the settings first"), severity="error")
        self._focus(key)

    def apply(self, config: RunConfig) -> None:
        """Put `config` into the fields."""
        for section in SECTIONS:
            for name, value in config.to_dict()[section].items():
                widgets = self.shell.query(f"#{field_id(section, name)}")
                if not widgets:
                    continue
                widget = widgets.first()
                if isinstance(widget, Select):
                    try:
                        widget.value = value
                    except InvalidSelectValueError:  # a device of another machine, or one not detected yet
                        widget.value = "auto"
                        self.shell.notify(_("{name} {value} is not available here: using auto").format(
                            name=name, value=value), severity="warning")
                elif isinstance(widget, Input):
                    widget.value = format_value(value)
                elif isinstance(widget, FeatureList):
                    widget.show(value)
        if config.data.target is None:
            self.shell.query_one(f"#{field_id('data', 'target')}", Input).value = ""
        self.shell.query_one(DatasetPanel).choose(config.data.dataset, settings_applied=True)

    def focus_field(self, section: str, name: str) -> None:
        """Show the tab of a field and put the keyboard on it."""
        self._focus(field_id(section, name))

    def _focus(self, key: str) -> None:
        """Show the tab of the field with id `key` (SECTION-NAME) and put the keyboard on it."""
        self.shell.show_tab(TAB_OF_SECTION[key.split("-")[0]])
        self.shell.query_one(f"#{key}").focus()

    def set_field(self, section: str, name: str, text: str) -> None:
        self.shell.query_one(f"#{field_id(section, name)}", Input).value = text
