"""Plain events the trainer emits to its subscribers (the CLI, the UI, tests)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from tui_dl.engine.config import RunConfig


@dataclass
class EpochMetrics:
    """Metrics of one finished epoch. Accuracy for classification, MAE / R^2 for regression.

    `train_loss` is the mean loss of the epoch's batches; `train_acc` is measured after the epoch, in
    eval mode, on up to 2,048 training samples; validation metrics use the whole validation split.
    """

    epoch: int
    step: int
    train_loss: float
    val_loss: float | None
    lr: float
    samples_per_s: float
    seconds: float
    train_acc: float | None = None
    val_acc: float | None = None
    val_mae: float | None = None
    val_r2: float | None = None
    weight_norms: list[float] | None = None  # per Linear layer, input side first
    grad_norms: list[float] | None = None  # of the epoch's last batch
    weight_counts: list[int] | None = None  # elements per layer's weight: RMS = norm / sqrt(count)

    def to_dict(self) -> dict:
        """As a dict without the metrics that do not apply to this task."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict) -> EpochMetrics:
        """From `to_dict`'s output, ignoring keys this version does not know (written by a newer tui-dl)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class RunStarted:
    config: RunConfig
    device: str
    task: str
    summary: str
    parameters: int
    train_samples: int
    val_samples: int
    steps_per_epoch: int
    start_epoch: int
    class_names: list[str] = field(default_factory=list)


@dataclass
class StepMetrics:
    """Training losses of consecutive steps, read from the device in one go."""

    epoch: int
    first_step: int
    losses: list[float]
    steps_in_epoch: int
    step_in_epoch: int


@dataclass
class EpochEnded:
    metrics: EpochMetrics
    best_epoch: int
    best_val_loss: float | None


@dataclass
class StateChanged:
    """The run was paused or resumed."""

    state: str


@dataclass
class LrChanged:
    lr: float


@dataclass
class RunFinished:
    """The run ended: `status` is completed, stopped, early_stopped, diverged or failed.

    `test` holds the final model's metrics on the test split (`test_loss`, `test_acc` or `test_mae` and
    `test_r2`) for a completed or early-stopped run with a test split; it is empty otherwise.
    """

    status: str
    message: str
    epochs_done: int
    best_epoch: int
    best_val_loss: float | None
    seconds: float  # the run's time, as `engine.duration` defines it
    test: dict[str, float] = field(default_factory=dict)


@dataclass
class InsightsReady:
    """Insight views' data (see `engine.insights`) computed after `epoch`, keyed by insight name."""

    epoch: int
    insights: dict
    error: str = ""


Event = RunStarted | StepMetrics | EpochEnded | StateChanged | LrChanged | InsightsReady | RunFinished
