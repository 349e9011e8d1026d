"""The Model tab: the model builder (with the input features), the hyperparameters, the learning-rate schedule
and the regularization, with the architecture line live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Select, Static

from tui_dl.engine.config import ACTIVATIONS, OPTIMIZERS, REGULARIZATIONS, SCHEDULES, ModelConfig, RunConfig
from tui_dl.ui.form import Field, choice, field_id, field_texts, text_input
from tui_dl.ui.widgets.feature_list import FeatureList

ACTIVATION_LABELS = {"sigmoid": "sigmoid", "relu": "ReLU", "tanh": "tanh", "gelu": "GELU", "leaky_relu": "LeakyReLU"}
OPTIMIZER_LABELS = {"sgd": "SGD (momentum)", "adam": "Adam", "adamw": "AdamW"}
SCHEDULE_LABELS = {"constant": "constant", "step": "step decay", "cosine": "cosine", "plateau": "reduce on plateau"}
REGULARIZATION_LABELS = {"none": "none", "l1": "L1 (in the loss)", "l2": "L2 (weight decay)"}


class SettingsPanel(VerticalScroll):
    """Model builder and hyperparameters."""

    can_focus = False

    def __init__(self, defaults: RunConfig, **kwargs):
        super().__init__(**kwargs)
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        m, t = self.defaults.model, self.defaults.train
        yield Static("", id="architecture")
        with Horizontal(id="settings-columns"):
            with Vertical(id="model-fields", classes="settings-column"):
                yield Static("[b]Model[/b]", classes="section-title")
                yield Field("hidden layers", text_input("model", "layers", m.layers), "0 = a linear model")
                yield Field("neurons", text_input("model", "neurons", m.neurons),
                            "one number for every layer, or one per layer: 64,32,16")
                yield Field("activation", choice("model", "activation",
                                                 [(ACTIVATION_LABELS[a], a) for a in ACTIVATIONS], m.activation))
                yield Field("dropout", text_input("model", "dropout", m.dropout), "0 = off; 0.2 drops 20% in training")
                yield Static("[b]Input features[/b] [dim]2-D data only[/]", classes="section-title")
                yield Field("features", FeatureList(m.features, id=field_id("model", "features")),
                            "space toggles: what the model sees of each point (x1, x2); the views still draw the plane")
            with Vertical(id="train-fields", classes="settings-column"):
                yield Static("[b]Training[/b]", classes="section-title")
                yield Field("optimizer", choice("train", "optimizer",
                                                [(OPTIMIZER_LABELS[o], o) for o in OPTIMIZERS], t.optimizer))
                yield Field("learning rate", text_input("train", "lr", t.lr), "step size of gradient descent")
                yield Field("momentum", text_input("train", "momentum", t.momentum), "SGD only")
                yield Field("batch size", text_input("train", "batch_size", t.batch_size), "samples per update")
                yield Field("epochs", text_input("train", "epochs", t.epochs), "passes over the training data")
                yield Field("early stop", text_input("train", "early_stop", t.early_stop),
                            "stop after this many epochs without a better validation loss (0 = off)")
                yield Field("seed", text_input("train", "seed", t.seed), "seed for initial weights and shuffling")
                devices = dict.fromkeys(("auto", "cpu", t.device))  # until detection adds what this machine has
                yield Field("device", choice("train", "device", [(d, d) for d in devices], t.device),
                            "auto = CUDA if present, else MPS, else CPU")
                yield Field("CPU threads", text_input("train", "threads", t.threads),
                            "0 = this run's share of the cores among the live runs")
                yield Static("[b]Schedule and regularization[/b]", classes="section-title")
                yield Field("schedule", choice("train", "schedule", [(SCHEDULE_LABELS[s], s) for s in SCHEDULES],
                                               t.schedule), "how the learning rate changes; F8 sets its base")
                yield Field("warm-up", text_input("train", "warmup", t.warmup),
                            "epochs of linear warm-up to the learning rate (0 = off)")
                yield Field("decay epochs", text_input("train", "decay_epochs", t.decay_epochs),
                            "step decay: every this many epochs; plateau: after this many without improvement")
                yield Field("decay factor", text_input("train", "decay_factor", t.decay_factor),
                            "step decay and plateau multiply the learning rate by this")
                yield Field("regularizer", choice("train", "regularization",
                                                     [(REGULARIZATION_LABELS[r], r) for r in REGULARIZATIONS],
                                                     t.regularization),
                            "L1: rate x sum |w| of the weights added to the loss; L2: weight decay (biases too)")
                yield Field("reg. rate", text_input("train", "reg_rate", t.reg_rate), "regularization rate")

    def on_mount(self) -> None:
        self.fields = list(self.query(Field))

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
        select.set_options([(n, n) for n in names])
        select.value = current if current in names else "auto"

    def show_architecture(self, inputs: int | None, outputs: int | None, model: ModelConfig | None,
                          memory: int | None = None) -> None:
        """Update the live architecture line (`2 -> 16 -> 16 -> 2, relu, 354 params, needs ~1.2 MiB`)."""
        from tui_dl.engine.memory import format_bytes

        line = self.query_one("#architecture", Static)
        if model is None:
            text = "[b]architecture[/b]  [red]fix the model fields below[/]"
        elif inputs is None:
            text = "[b]architecture[/b]  (waiting for the data set)"
        else:
            needs = f", needs ~{format_bytes(memory)}" if memory is not None else ""
            text = f"[b]architecture[/b]  {model.summary(inputs, outputs)}{needs}"
        line.update(text, layout=False)  # one fixed line: no relayout while typing
