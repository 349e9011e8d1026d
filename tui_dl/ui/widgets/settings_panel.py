"""The Model tab: the model builder (with the input features), the hyperparameters, the learning-rate schedule
and the regularization, with the architecture line live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Select, Static

from tui_dl.engine.config import (
    ACTIVATIONS,
    OPTIMIZERS,
    REGULARIZATIONS,
    SCHEDULES,
    ModelConfig,
    RunConfig,
)
from tui_dl.i18n import N_, _
from tui_dl.ui.form import (
    Field,
    choice,
    field_id,
    field_texts,
    relabel_choice,
    text_input,
)
from tui_dl.ui.language import Relabels, Words
from tui_dl.ui.widgets.feature_list import FeatureList

ACTIVATION_LABELS = {"sigmoid": "sigmoid", "relu": "ReLU", "tanh": "tanh", "gelu": "GELU", "leaky_relu": "LeakyReLU"}
OPTIMIZER_LABELS = {"sgd": N_("SGD (momentum)"), "adam": "Adam", "adamw": "AdamW"}
SCHEDULE_LABELS = {"constant": N_("constant"), "step": N_("step decay"), "cosine": N_("cosine"),
                   "plateau": N_("reduce on plateau")}
REGULARIZATION_LABELS = {"none": N_("none"), "l1": N_("L1 (in the loss)"), "l2": N_("L2 (weight decay)")}
# Shown translated (a technical name such as ReLU or Adam reads the same in every language).


def device_options(names) -> list[tuple[str, str]]:
    """The device choice's (label, value) pairs: `auto` in the language in use, devices by their names."""
    return [(_("auto") if name == "auto" else name, name) for name in names]


class SettingsPanel(VerticalScroll, Relabels):
    """Model builder and hyperparameters."""

    can_focus = False

    def __init__(self, defaults: RunConfig, **kwargs):
        super().__init__(**kwargs)
        self.defaults = defaults
        # the devices offered: until detection adds this machine's, auto, cpu and the one of the settings
        self.devices = list(dict.fromkeys(("auto", "cpu", defaults.train.device)))

    def compose(self) -> ComposeResult:
        m, t = self.defaults.model, self.defaults.train
        yield Static("", id="architecture")
        with Horizontal(id="settings-columns"):
            with Vertical(id="model-fields", classes="settings-column"):
                yield Words(N_("[b]Model[/b]"), classes="section-title")
                yield Field(N_("hidden layers"), text_input("model", "layers", m.layers), N_("0 = a linear model"))
                yield Field(N_("neurons"), text_input("model", "neurons", m.neurons),
                            N_("one number for every layer, or one per layer: 64,32,16"))
                yield Field(N_("activation"), choice("model", "activation",
                                                 [(ACTIVATION_LABELS[a], a) for a in ACTIVATIONS], m.activation))
                yield Field(N_("dropout"), text_input("model", "dropout", m.dropout), N_("0 = off; 0.2 drops 20% in training"))
                yield Words(N_("[b]Input features[/b] [dim]2-D data only[/]"), classes="section-title")
                yield Field(N_("features"), FeatureList(m.features, id=field_id("model", "features")),
                            N_("space toggles: what the model sees of each point (x1, x2); the views still draw the plane"))
            with Vertical(id="train-fields", classes="settings-column"):
                yield Words(N_("[b]Training[/b]"), classes="section-title")
                yield Field(N_("optimizer"), choice("train", "optimizer",
                                                [(_(OPTIMIZER_LABELS[o]), o) for o in OPTIMIZERS], t.optimizer))
                yield Field(N_("learning rate"), text_input("train", "lr", t.lr), N_("step size of gradient descent"))
                yield Field(N_("momentum"), text_input("train", "momentum", t.momentum), N_("SGD only"))
                yield Field(N_("batch size"), text_input("train", "batch_size", t.batch_size), N_("samples per update"))
                yield Field(N_("epochs"), text_input("train", "epochs", t.epochs), N_("passes over the training data"))
                yield Field(N_("early stop"), text_input("train", "early_stop", t.early_stop),
                            N_("stop after this many epochs without a better validation loss (0 = off)"))
                yield Field(N_("seed"), text_input("train", "seed", t.seed), N_("seed for initial weights and shuffling"))
                yield Field(N_("device"), choice("train", "device", device_options(self.devices), t.device),
                            N_("auto = CUDA if present, else MPS, else CPU"))
                yield Field(N_("CPU threads"), text_input("train", "threads", t.threads),
                            N_("0 = this run's share of the cores among the live runs"))
                yield Words(N_("[b]Schedule and regularization[/b]"), classes="section-title")
                yield Field(N_("schedule"), choice("train", "schedule", [(_(SCHEDULE_LABELS[s]), s) for s in SCHEDULES],
                                               t.schedule), N_("how the learning rate changes; F8 sets its base"))
                yield Field(N_("warm-up"), text_input("train", "warmup", t.warmup),
                            N_("epochs of linear warm-up to the learning rate (0 = off)"))
                yield Field(N_("decay epochs"), text_input("train", "decay_epochs", t.decay_epochs),
                            N_("step decay: every this many epochs; plateau: after this many without improvement"))
                yield Field(N_("decay factor"), text_input("train", "decay_factor", t.decay_factor),
                            N_("step decay and plateau multiply the learning rate by this"))
                yield Field(N_("regularizer"), choice("train", "regularization",
                                                     [(_(REGULARIZATION_LABELS[r]), r) for r in REGULARIZATIONS],
                                                     t.regularization),
                            N_("L1: rate x sum |w| of the weights added to the loss; L2: weight decay (biases too)"))
                yield Field(N_("reg. rate"), text_input("train", "reg_rate", t.reg_rate), N_("regularization rate"))

    def on_mount(self) -> None:
        self.fields = list(self.query(Field))

    def relabel(self) -> None:
        """The choices' labels (the fields and titles relabel themselves)."""
        for name, labels, values in (("optimizer", OPTIMIZER_LABELS, OPTIMIZERS), ("schedule", SCHEDULE_LABELS, SCHEDULES),
                                     ("regularization", REGULARIZATION_LABELS, REGULARIZATIONS)):
            relabel_choice(self.query_one(f"#{field_id('train', name)}", Select), [(_(labels[v]), v) for v in values])
        relabel_choice(self.query_one(f"#{field_id('train', 'device')}", Select), device_options(self.devices))

    def config_values(self) -> dict[str, str]:
        """Text of every model and training field keyed by field id."""
        return field_texts(self.fields)

    def set_data_inputs(self, inputs: int) -> None:
        """Input features apply to data sets with 2 inputs: the checklist is disabled for others."""
        self.query_one(FeatureList).disabled = inputs != 2

    def set_devices(self, names: list[str]) -> None:
        """Offer the devices detected on this machine."""
        select = self.query_one(f"#{field_id('train', 'device')}", Select)
        current = select.value
        self.devices = list(names)
        select.set_options(device_options(names))
        select.value = current if current in names else "auto"

    def show_architecture(self, inputs: int | None, outputs: int | None, model: ModelConfig | None,
                          memory: int | None = None) -> None:
        """Update the live architecture line (`2 -> 16 -> 16 -> 2, relu, 354 params, needs ~1.2 MiB`)."""
        from tui_dl.engine.training.memory import format_bytes

        line = self.query_one("#architecture", Static)
        if model is None:
            text = _("[b]architecture[/b]  [red]fix the model fields below[/]")
        elif inputs is None:
            text = _("[b]architecture[/b]  (waiting for the data set)")
        else:
            needs = _(", needs ~{size}").format(size=format_bytes(memory)) if memory is not None else ""
            text = _("[b]architecture[/b]  {summary}").format(summary=model.summary(inputs, outputs, shown=True)) + needs
        line.update(text, layout=False)  # one fixed line: no relayout while typing
