"""Typed configuration for a run: data, model and training, with validation and TOML I/O.

Nothing here imports torch, so the UI can validate and describe settings instantly.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tui_dl.engine.errors import ConfigError
from tui_dl.i18n import N_, _

ACTIVATIONS = ("sigmoid", "relu", "tanh", "gelu", "leaky_relu")
OPTIMIZERS = ("sgd", "adam", "adamw")
TASKS = (N_("auto"), N_("classification"), N_("regression"))  # marked: the display translates them
MISSING_MODES = ("impute", "drop")  # missing feature values in a CSV: filled in, or the row dropped
# Input features a model can take from a 2-D data set (TensorFlow Playground's), in the order of its input columns.
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
REGULARIZATIONS = ("none", "l1", "l2")  # l1: rate * sum |w| added to the loss; l2: the optimizer's weight decay
SCHEDULES = ("constant", "step", "cosine", "plateau")  # learning-rate schedules (engine.training.schedule)

SUMMARY_WORDS = N_("{shape}, {activation}{dropout}, {count} params")  # ModelConfig.summary (keep the first comma)
DROPOUT_WORDS = N_(", dropout {rate}")
MAX_LAYERS = 64
MAX_NEURONS = 65_536
MAX_EPOCHS = 1_000_000
MAX_BATCH_SIZE = 1 << 24
MAX_SAMPLES = 1_000_000
MAX_THREADS = 1024


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(n, str) and n.strip() for n in value)


def ordered_features(names: list[str]) -> list[str]:
    """`names` in the order of the model's input columns (FEATURES' order), whatever order they were given in."""
    return [name for name in FEATURES if name in names]


def learning_rate_problem(lr: object) -> str | None:
    """Why `lr` is not a usable learning rate, or None (shared by the config, the trainer and the UI)."""
    if not _finite(lr) or not 0 < lr <= 100:
        return _("learning rate must be > 0 and at most 100, got {lr}").format(lr=lr)
    return None


@dataclass
class DataConfig:
    """Which data set to use and how to split it."""

    dataset: str = "spiral"
    target: str | None = None
    exclude: list[str] = field(default_factory=list)  # CSV columns to leave out
    include: list[str] = field(default_factory=list)  # CSV columns to use although the rules leave them out
    missing: str = "impute"
    task: str = "auto"
    samples: int = 500
    noise: float = 0.1
    window: int = 7
    val_split: float = 0.2
    test_split: float = 0.0
    seed: int = 0

    def problems(self) -> list[tuple[str, str]]:
        """Each invalid field with a message saying why."""
        out: list[tuple[str, str]] = []
        if not isinstance(self.dataset, str) or not self.dataset.strip():
            out.append(("dataset", _("data set must be a registered name or a file path, got nothing")))
        if self.target is not None and not isinstance(self.target, str):
            out.append(("target", _("target must be a column name, got {target!r}").format(target=self.target)))
        bad = [name for name in ("exclude", "include") if not _names(getattr(self, name))]
        out += [(name, _("{name} must be a list of column names, got {value!r}").format(
                           name=name, value=getattr(self, name))) for name in bad]
        if not bad:
            both = sorted(set(self.exclude) & set(self.include))
            if both:
                out.append(("include", _("column {both!r} is both excluded and included").format(both=both[0])))
            if self.target in self.exclude:
                out.append(("exclude", _("the target {target!r} cannot be excluded").format(target=self.target)))
        if self.missing not in MISSING_MODES:
            out.append(("missing", _("missing must be one of {missing_modes}, got {missing!r}").format(
                                       missing_modes=', '.join(MISSING_MODES), missing=self.missing)))
        if self.task not in TASKS:
            out.append(("task", _("task must be one of {tasks}, got {task!r}").format(
                                    tasks=', '.join(TASKS), task=self.task)))
        if not _integer(self.samples) or not 10 <= self.samples <= MAX_SAMPLES:
            out.append(("samples", _("samples must be a whole number from 10 to {max_samples:,}, got {samples}").format(
                                       max_samples=MAX_SAMPLES, samples=self.samples)))
        if not _finite(self.noise) or not 0 <= self.noise <= 1:
            out.append(("noise", _("noise must be between 0 and 1, got {noise}").format(noise=self.noise)))
        if not _integer(self.window) or not 1 <= self.window <= 60:
            out.append(("window", _("window must be a whole number of days from 1 to 60, got {window}").format(
                                      window=self.window)))
        val_ok = _finite(self.val_split) and 0 <= self.val_split < 0.95
        if not val_ok:
            out.append(("val_split", _("validation split must be at least 0 and below 0.95, got {val_split}").format(
                                         val_split=self.val_split)))
        if not _finite(self.test_split) or not 0 <= self.test_split < 0.5:
            out.append(("test_split", _("test split must be at least 0 and below 0.5, got {test_split}").format(
                                          test_split=self.test_split)))
        elif val_ok and self.val_split + self.test_split >= 0.95:
            out.append(("test_split", _("validation and test splits together must leave at least 5% for training")))
        if not _integer(self.seed) or self.seed < 0:
            out.append(("seed", _("seed must be a whole number >= 0, got {seed}").format(seed=self.seed)))
        return out


@dataclass
class ModelConfig:
    """The MLP: its input features, hidden layers, their widths, activation and dropout.

    `features` empty: the data set's inputs as they are; else names from FEATURES (for 2-D data sets only),
    computed from the data's x1 and x2 in data units, one input column each.
    """

    layers: int = 2
    neurons: list[int] = field(default_factory=lambda: [16])
    activation: str = "relu"
    dropout: float = 0.0
    features: list[str] = field(default_factory=list)

    def input_size(self, data_inputs: int) -> int:
        """The model's input width for a data set with `data_inputs` inputs."""
        return len(self.features) if self.features else data_inputs

    def hidden_sizes(self) -> list[int]:
        """Width of each hidden layer: one number for all, or one per layer."""
        if len(self.neurons) == 1:
            return self.neurons * self.layers
        return list(self.neurons)

    def problems(self) -> list[tuple[str, str]]:
        """Each invalid field with a message saying why."""
        out: list[tuple[str, str]] = []
        if not _integer(self.layers) or not 0 <= self.layers <= MAX_LAYERS:
            out.append(("layers", _("hidden layers must be a whole number from 0 to {max_layers}, got {layers}").format(
                                      max_layers=MAX_LAYERS, layers=self.layers)))
        if not self.neurons:
            out.append(("neurons", _("neurons per layer must be one number or one per layer, got nothing")))
        for n in self.neurons:
            if not _integer(n) or not 1 <= n <= MAX_NEURONS:
                out.append(("neurons", _("neurons per layer must be from 1 to {max_neurons:,}, got {n}").format(
                                           max_neurons=MAX_NEURONS, n=n)))
                break
        if len(self.neurons) > 1 and _integer(self.layers) and len(self.neurons) != self.layers:
            out.append(("neurons", _("{n_neurons} layer widths given for {layers} hidden layers").format(
                                       n_neurons=len(self.neurons), layers=self.layers)))
        if self.activation not in ACTIVATIONS:
            out.append(("activation", _("activation must be one of {activations}, got {activation!r}").format(
                                          activations=', '.join(ACTIVATIONS), activation=self.activation)))
        if not _finite(self.dropout) or not 0 <= self.dropout < 1:
            out.append(("dropout", _("dropout must be at least 0 and below 1, got {dropout}").format(
                                       dropout=self.dropout)))
        if not isinstance(self.features, list) or (unknown := [n for n in self.features if n not in FEATURES]):
            shown = unknown[0] if isinstance(self.features, list) else self.features
            out.append(("features", _("input features must be among {features}, got {shown!r}").format(
                                        features=', '.join(FEATURES), shown=shown)))
        elif len(set(self.features)) < len(self.features):
            twice = next(n for n in self.features if self.features.count(n) > 1)
            out.append(("features", _("input feature {twice!r} is given twice").format(twice=twice)))
        return out

    def parameter_count(self, inputs: int, outputs: int) -> int:
        """Number of weights and biases for the given input and output sizes."""
        sizes = [inputs, *self.hidden_sizes(), outputs]
        return sum(a * b + b for a, b in zip(sizes, sizes[1:]))

    def weight_counts(self, inputs: int, outputs: int) -> list[int]:
        """Elements of each Linear layer's weight matrix, input side first (for per-element RMS norms)."""
        sizes = [inputs, *self.hidden_sizes(), outputs]
        return [a * b for a, b in zip(sizes, sizes[1:])]

    def summary(self, inputs: int, outputs: int, shown: bool = False) -> str:
        """One-line architecture: `2 -> 16 -> 16 -> 2, relu, 354 params`; in the language in use when `shown`
        (files keep English). The shape comes first, up to the first comma, in every language."""
        shape = " -> ".join(str(s) for s in [inputs, *self.hidden_sizes(), outputs])
        return self.described(shape, self.parameter_count(inputs, outputs), shown)

    def described(self, shape: str, count: int, shown: bool = False) -> str:
        """`summary` from the shape (`2 -> 16 -> 2`, a summary's text up to its first comma) and the count."""
        words = _ if shown else str
        extra = words(DROPOUT_WORDS).format(rate=f"{self.dropout:g}") if self.dropout else ""
        return words(SUMMARY_WORDS).format(shape=shape, activation=self.activation, dropout=extra, count=f"{count:,}")


@dataclass
class TrainConfig:
    """Optimizer and loop settings."""

    optimizer: str = "adam"
    lr: float = 0.01  # the base learning rate: the schedule scales it (F8 changes it mid-run)
    momentum: float = 0.9
    regularization: str = "none"  # l1: reg_rate * sum |w| (weights, not biases) in the loss; l2: weight decay
    reg_rate: float = 0.001
    batch_size: int = 32
    epochs: int = 50
    seed: int = 0
    device: str = "auto"
    early_stop: int = 0
    threads: int = 0  # CPU threads; 0 = this run's share of the cores among the live runs
    schedule: str = "constant"
    warmup: int = 0  # epochs of linear warm-up before the schedule
    decay_epochs: int = 10  # step: decay every this many epochs; plateau: after this many without improvement
    decay_factor: float = 0.5  # step and plateau: multiply the learning rate by this

    def problems(self) -> list[tuple[str, str]]:
        """Each invalid field with a message saying why."""
        out: list[tuple[str, str]] = []
        if self.optimizer not in OPTIMIZERS:
            out.append(("optimizer", _("optimizer must be one of {optimizers}, got {optimizer!r}").format(
                                         optimizers=', '.join(OPTIMIZERS), optimizer=self.optimizer)))
        if (problem := learning_rate_problem(self.lr)) is not None:
            out.append(("lr", problem))
        if not _finite(self.momentum) or not 0 <= self.momentum < 1:
            out.append(("momentum", _("momentum must be at least 0 and below 1, got {momentum}").format(
                                        momentum=self.momentum)))
        if self.regularization not in REGULARIZATIONS:
            out.append(("regularization", _("regularization must be one of {regularizations}, got "
                                            "{regularization!r}").format(
                                              regularizations=', '.join(REGULARIZATIONS), regularization=self.regularization)))
        if not _finite(self.reg_rate) or not 0 <= self.reg_rate <= 10:
            out.append(("reg_rate", _("regularization rate must be from 0 to 10, got {reg_rate}").format(
                                        reg_rate=self.reg_rate)))
        elif self.regularization in ("l1", "l2") and self.reg_rate == 0:
            out.append(("reg_rate", _("a regularization rate of 0 does nothing: give a rate above 0 for "
                                      "{regularization}, or choose none").format(
                                        regularization=self.regularization.upper())))
        if not _integer(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            out.append(("batch_size", _("batch size must be a whole number from 1 to {max_batch_size:,}, got "
                                        "{batch_size}").format(
                                          max_batch_size=MAX_BATCH_SIZE, batch_size=self.batch_size)))
        if not _integer(self.epochs) or not 1 <= self.epochs <= MAX_EPOCHS:
            out.append(("epochs", _("epochs must be a whole number from 1 to {max_epochs:,}, got {epochs}").format(
                                      max_epochs=MAX_EPOCHS, epochs=self.epochs)))
        if not _integer(self.seed) or self.seed < 0:
            out.append(("seed", _("seed must be a whole number >= 0, got {seed}").format(seed=self.seed)))
        if not isinstance(self.device, str) or not _valid_device_name(self.device):
            out.append(("device", _("device must be auto, cpu, mps, cuda or cuda:N, got {device!r}").format(
                                      device=self.device)))
        if not _integer(self.threads) or not 0 <= self.threads <= MAX_THREADS:
            out.append(("threads", _("CPU threads must be a whole number from 0 (share the cores) to "
                                     "{max_threads}, got {threads}").format(
                                       max_threads=MAX_THREADS, threads=self.threads)))
        if not _integer(self.early_stop) or self.early_stop < 0:
            out.append(("early_stop", _("early-stopping patience must be a whole number >= 0 (0 = off), got "
                                        "{early_stop}").format(early_stop=self.early_stop)))
        if self.schedule not in SCHEDULES:
            out.append(("schedule", _("schedule must be one of {schedules}, got {schedule!r}").format(
                                        schedules=', '.join(SCHEDULES), schedule=self.schedule)))
        if not _integer(self.warmup) or self.warmup < 0:
            out.append(("warmup", _("warm-up must be a whole number of epochs >= 0 (0 = off), got {warmup}").format(
                                      warmup=self.warmup)))
        elif _integer(self.epochs) and self.warmup >= self.epochs > 0:
            out.append(("warmup", _("warm-up must be shorter than the run's {epochs} epochs, got {warmup}").format(
                                      epochs=self.epochs, warmup=self.warmup)))
        if not _integer(self.decay_epochs) or not 1 <= self.decay_epochs <= MAX_EPOCHS:
            out.append(("decay_epochs", _("decay epochs must be a whole number from 1 to {max_epochs:,}, got "
                                          "{decay_epochs}").format(
                                            max_epochs=MAX_EPOCHS, decay_epochs=self.decay_epochs)))
        if not _finite(self.decay_factor) or not 0 < self.decay_factor < 1:
            out.append(("decay_factor", _("decay factor must be above 0 and below 1, got {decay_factor}").format(
                                            decay_factor=self.decay_factor)))
        return out


def _valid_device_name(name: str) -> bool:
    if name in ("auto", "cpu", "mps", "cuda"):
        return True
    prefix, _colon, index = name.partition(":")
    return prefix == "cuda" and index.isdigit()


@dataclass
class RunConfig:
    """Everything that defines a run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def problems(self) -> list[tuple[str, str]]:
        """Every invalid field of every section, as (section.field, message)."""
        return [
            (f"{section}.{name}", message)
            for section in ("data", "model", "train")
            for name, message in getattr(self, section).problems()
        ]

    def validate(self) -> RunConfig:
        """Return self, or raise ConfigError listing every problem."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain nested dict (no None values), as written to TOML and checkpoints."""
        return {
            section: {k: v for k, v in asdict(getattr(self, section)).items() if v is not None}
            for section in ("data", "model", "train")
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build from a nested dict; unknown sections or keys are an error."""
        sections = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
        unknown = set(data) - set(sections)
        if unknown:
            raise ConfigError([("config", _("unknown section [{unknown}]; expected data, model, train").format(
                                              unknown=sorted(unknown)[0]))])
        built = {}
        for name, kind in sections.items():
            values = data.get(name, {})
            if not isinstance(values, dict):
                raise ConfigError([(name, _("[{name}] must be a table of settings, got {values!r}").format(
                                              name=name, values=values))])
            values = dict(values)
            if name == "train" and "weight_decay" in values:
                _read_weight_decay(values)
            known = {f.name for f in fields(kind)}
            extra = set(values) - known
            if extra:
                raise ConfigError([(name, _("unknown key {extra!r} in [{name}]").format(
                                              extra=sorted(extra)[0], name=name))])
            if name == "model" and isinstance(values.get("neurons"), int):
                values["neurons"] = [values["neurons"]]
            built[name] = kind(**values)
        return cls(**built)

    def copy(self) -> RunConfig:
        """A deep copy."""
        return copy.deepcopy(self)


def _read_weight_decay(train: dict[str, Any]) -> None:
    """Read the `weight_decay` of older configs and checkpoints as `regularization = "l2"` with that rate."""
    decay = train.pop("weight_decay")
    if "regularization" in train or "reg_rate" in train:
        raise ConfigError([("train", _("weight_decay is the older name of regularization = \"l2\" with reg_rate: "
                                       "give one or the other"))])
    if decay != 0:
        train["regularization"], train["reg_rate"] = "l2", decay


def load_toml(path: str | Path) -> RunConfig:
    """Read a run config from a TOML file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("config", _("cannot read config file {path}: {reason}").format(
                                          path=path, reason=exc.strerror or exc))]) from None
    except UnicodeDecodeError:
        raise ConfigError([("config", _("config file {path} is not UTF-8 text").format(path=path))]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("config", _("config file {path} is not valid TOML: {exc}").format(
                                          path=path, exc=exc))]) from None
    try:
        return RunConfig.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ConfigError([("config", _("config file {path}: {exc}").format(path=path, exc=exc))]) from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(config: RunConfig) -> str:
    """The config as TOML text."""
    lines: list[str] = []
    for section, values in config.to_dict().items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def save_toml(config: RunConfig, path: str | Path) -> None:
    """Write the config to a TOML file."""
    Path(path).write_text(dump_toml(config), encoding="utf-8")
