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

ACTIVATIONS = ("sigmoid", "relu", "tanh", "gelu", "leaky_relu")
OPTIMIZERS = ("sgd", "adam", "adamw")
TASKS = ("auto", "classification", "regression")
MISSING_MODES = ("impute", "drop")  # missing feature values in a CSV: filled in, or the row dropped
# Input features a model can take from a 2-D data set (TensorFlow Playground's), in the order of its input columns.
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
REGULARIZATIONS = ("none", "l1", "l2")  # l1: rate * sum |w| added to the loss; l2: the optimizer's weight decay
SCHEDULES = ("constant", "step", "cosine", "plateau")  # learning-rate schedules (engine.schedule)

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
        return f"learning rate must be > 0 and at most 100, got {lr}"
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
            out.append(("dataset", "data set must be a registered name or a file path, got nothing"))
        if self.target is not None and not isinstance(self.target, str):
            out.append(("target", f"target must be a column name, got {self.target!r}"))
        bad = [name for name in ("exclude", "include") if not _names(getattr(self, name))]
        out += [(name, f"{name} must be a list of column names, got {getattr(self, name)!r}") for name in bad]
        if not bad:
            both = sorted(set(self.exclude) & set(self.include))
            if both:
                out.append(("include", f"column {both[0]!r} is both excluded and included"))
            if self.target in self.exclude:
                out.append(("exclude", f"the target {self.target!r} cannot be excluded"))
        if self.missing not in MISSING_MODES:
            out.append(("missing", f"missing must be one of {', '.join(MISSING_MODES)}, got {self.missing!r}"))
        if self.task not in TASKS:
            out.append(("task", f"task must be one of {', '.join(TASKS)}, got {self.task!r}"))
        if not _integer(self.samples) or not 10 <= self.samples <= MAX_SAMPLES:
            out.append(("samples", f"samples must be a whole number from 10 to {MAX_SAMPLES:,}, got {self.samples}"))
        if not _finite(self.noise) or not 0 <= self.noise <= 1:
            out.append(("noise", f"noise must be between 0 and 1, got {self.noise}"))
        if not _integer(self.window) or not 1 <= self.window <= 60:
            out.append(("window", f"window must be a whole number of days from 1 to 60, got {self.window}"))
        val_ok = _finite(self.val_split) and 0 <= self.val_split < 0.95
        if not val_ok:
            out.append(("val_split", f"validation split must be at least 0 and below 0.95, got {self.val_split}"))
        if not _finite(self.test_split) or not 0 <= self.test_split < 0.5:
            out.append(("test_split", f"test split must be at least 0 and below 0.5, got {self.test_split}"))
        elif val_ok and self.val_split + self.test_split >= 0.95:
            out.append(("test_split", "validation and test splits together must leave at least 5% for training"))
        if not _integer(self.seed) or self.seed < 0:
            out.append(("seed", f"seed must be a whole number >= 0, got {self.seed}"))
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
            out.append(("layers", f"hidden layers must be a whole number from 0 to {MAX_LAYERS}, got {self.layers}"))
        if not self.neurons:
            out.append(("neurons", "neurons per layer must be one number or one per layer, got nothing"))
        for n in self.neurons:
            if not _integer(n) or not 1 <= n <= MAX_NEURONS:
                out.append(("neurons", f"neurons per layer must be from 1 to {MAX_NEURONS:,}, got {n}"))
                break
        if len(self.neurons) > 1 and _integer(self.layers) and len(self.neurons) != self.layers:
            out.append(("neurons", f"{len(self.neurons)} layer widths given for {self.layers} hidden layers"))
        if self.activation not in ACTIVATIONS:
            out.append(("activation", f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"))
        if not _finite(self.dropout) or not 0 <= self.dropout < 1:
            out.append(("dropout", f"dropout must be at least 0 and below 1, got {self.dropout}"))
        if not isinstance(self.features, list) or (unknown := [n for n in self.features if n not in FEATURES]):
            shown = unknown[0] if isinstance(self.features, list) else self.features
            out.append(("features", f"input features must be among {', '.join(FEATURES)}, got {shown!r}"))
        elif len(set(self.features)) < len(self.features):
            twice = next(n for n in self.features if self.features.count(n) > 1)
            out.append(("features", f"input feature {twice!r} is given twice"))
        return out

    def parameter_count(self, inputs: int, outputs: int) -> int:
        """Number of weights and biases for the given input and output sizes."""
        sizes = [inputs, *self.hidden_sizes(), outputs]
        return sum(a * b + b for a, b in zip(sizes, sizes[1:]))

    def weight_counts(self, inputs: int, outputs: int) -> list[int]:
        """Elements of each Linear layer's weight matrix, input side first (for per-element RMS norms)."""
        sizes = [inputs, *self.hidden_sizes(), outputs]
        return [a * b for a, b in zip(sizes, sizes[1:])]

    def summary(self, inputs: int, outputs: int) -> str:
        """One-line architecture: `2 -> 16 -> 16 -> 2, relu, 354 params`."""
        sizes = [inputs, *self.hidden_sizes(), outputs]
        shape = " -> ".join(str(s) for s in sizes)
        extra = f", dropout {self.dropout:g}" if self.dropout else ""
        return f"{shape}, {self.activation}{extra}, {self.parameter_count(inputs, outputs):,} params"


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
            out.append(("optimizer", f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}"))
        if (problem := learning_rate_problem(self.lr)) is not None:
            out.append(("lr", problem))
        if not _finite(self.momentum) or not 0 <= self.momentum < 1:
            out.append(("momentum", f"momentum must be at least 0 and below 1, got {self.momentum}"))
        if self.regularization not in REGULARIZATIONS:
            out.append(("regularization", f"regularization must be one of {', '.join(REGULARIZATIONS)}, "
                                          f"got {self.regularization!r}"))
        if not _finite(self.reg_rate) or not 0 <= self.reg_rate <= 10:
            out.append(("reg_rate", f"regularization rate must be from 0 to 10, got {self.reg_rate}"))
        elif self.regularization in ("l1", "l2") and self.reg_rate == 0:
            out.append(("reg_rate", f"a regularization rate of 0 does nothing: give a rate above 0 for "
                                    f"{self.regularization.upper()}, or choose none"))
        if not _integer(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            out.append(("batch_size", f"batch size must be a whole number from 1 to {MAX_BATCH_SIZE:,}, got {self.batch_size}"))
        if not _integer(self.epochs) or not 1 <= self.epochs <= MAX_EPOCHS:
            out.append(("epochs", f"epochs must be a whole number from 1 to {MAX_EPOCHS:,}, got {self.epochs}"))
        if not _integer(self.seed) or self.seed < 0:
            out.append(("seed", f"seed must be a whole number >= 0, got {self.seed}"))
        if not isinstance(self.device, str) or not _valid_device_name(self.device):
            out.append(("device", f"device must be auto, cpu, mps, cuda or cuda:N, got {self.device!r}"))
        if not _integer(self.threads) or not 0 <= self.threads <= MAX_THREADS:
            out.append(("threads", f"CPU threads must be a whole number from 0 (share the cores) to {MAX_THREADS}, "
                                   f"got {self.threads}"))
        if not _integer(self.early_stop) or self.early_stop < 0:
            out.append(("early_stop", f"early-stopping patience must be a whole number >= 0 (0 = off), got {self.early_stop}"))
        if self.schedule not in SCHEDULES:
            out.append(("schedule", f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}"))
        if not _integer(self.warmup) or self.warmup < 0:
            out.append(("warmup", f"warm-up must be a whole number of epochs >= 0 (0 = off), got {self.warmup}"))
        elif _integer(self.epochs) and self.warmup >= self.epochs > 0:
            out.append(("warmup", f"warm-up must be shorter than the run's {self.epochs} epochs, got {self.warmup}"))
        if not _integer(self.decay_epochs) or not 1 <= self.decay_epochs <= MAX_EPOCHS:
            out.append(("decay_epochs", f"decay epochs must be a whole number from 1 to {MAX_EPOCHS:,}, "
                                        f"got {self.decay_epochs}"))
        if not _finite(self.decay_factor) or not 0 < self.decay_factor < 1:
            out.append(("decay_factor", f"decay factor must be above 0 and below 1, got {self.decay_factor}"))
        return out


def _valid_device_name(name: str) -> bool:
    if name in ("auto", "cpu", "mps", "cuda"):
        return True
    prefix, _, index = name.partition(":")
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
            raise ConfigError([("config", f"unknown section [{sorted(unknown)[0]}]; expected data, model, train")])
        built = {}
        for name, kind in sections.items():
            values = data.get(name, {})
            if not isinstance(values, dict):
                raise ConfigError([(name, f"[{name}] must be a table of settings, got {values!r}")])
            values = dict(values)
            if name == "train" and "weight_decay" in values:
                _read_weight_decay(values)
            known = {f.name for f in fields(kind)}
            extra = set(values) - known
            if extra:
                raise ConfigError([(name, f"unknown key {sorted(extra)[0]!r} in [{name}]")])
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
        raise ConfigError([("train", 'weight_decay is the older name of regularization = "l2" with reg_rate: '
                                     "give one or the other")])
    if decay != 0:
        train["regularization"], train["reg_rate"] = "l2", decay


def load_toml(path: str | Path) -> RunConfig:
    """Read a run config from a TOML file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("config", f"cannot read config file {path}: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([("config", f"config file {path} is not UTF-8 text")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("config", f"config file {path} is not valid TOML: {exc}")]) from None
    try:
        return RunConfig.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ConfigError([("config", f"config file {path}: {exc}")]) from None


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
