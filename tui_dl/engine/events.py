"""Plain events the trainer emits to its subscribers (the CLI, the UI, tests), and the run's status.

Every event is a record: `engine.runs.wire` turns it into JSON-able data and back, so a run in another process
sends the same events over its control socket.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

import numpy as np

from tui_dl.engine.config import RunConfig
from tui_dl.i18n import N_, _


class RunStatus(StrEnum):
    """The one list of a run's states: the trainer's, the UI's and the run summary's."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    COMPLETED = "completed"
    STOPPED = "stopped"
    EARLY_STOPPED = "early_stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # a signal, a quit or a closed output ended it
    CRASHED = "crashed"  # its process died (kill -9, out of memory) without recording an end
    UNREADABLE = "unreadable"  # a run folder whose summary cannot be read

    @property
    def live(self) -> bool:
        """Still training (or waiting to)."""
        return self.is_live(self)

    @staticmethod
    def is_live(value: str) -> bool:
        """Whether a status string (of a summary that may be from another version) is a live state."""
        return value in ("starting", "running", "paused", "stopping")

    @property
    def label(self) -> str:
        """The state as the user reads it, in the language in use."""
        return _(_LABELS[self])


_LABELS = {RunStatus.IDLE: N_("idle"), RunStatus.STARTING: N_("starting"), RunStatus.RUNNING: N_("running"),
           RunStatus.PAUSED: N_("paused"), RunStatus.STOPPING: N_("stopping"), RunStatus.COMPLETED: N_("completed"),
           RunStatus.STOPPED: N_("stopped"), RunStatus.EARLY_STOPPED: N_("early stopped"),
           RunStatus.DIVERGED: N_("diverged"), RunStatus.FAILED: N_("failed"),
           RunStatus.INTERRUPTED: N_("interrupted"), RunStatus.CRASHED: N_("crashed"),
           RunStatus.UNREADABLE: N_("unreadable")}


def status_label(value: str) -> str:
    """A status string (of a summary that may be from another version) as the user reads it."""
    return RunStatus(value).label if value in RunStatus._value2member_map_ else value.replace("_", " ")


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
    """Training begins (after setup). A resumed run carries the history it continues: its epochs and step losses."""

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
    history: list[EpochMetrics] = field(default_factory=list)
    step_losses: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # float32, one per step
    best_epoch: int = 0
    best_val_loss: float | None = None
    notices: list[str] = field(default_factory=list)  # about the data and the setup, for the user


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
    """The run was paused or resumed (`state` is a RunStatus value); `source` names the session that asked."""

    state: str
    source: str = ""


@dataclass
class LrChanged:
    """The learning rate changed from the next batch on; `source` names the session that asked ("" here)."""

    lr: float
    source: str = ""


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
    seconds: float  # the run's time, as `engine.runs.duration` defines it
    test: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what the run record could not write


@dataclass
class InsightsReady:
    """Insight views' data (see `engine.insights.compute`) computed after `epoch`, keyed by insight name."""

    epoch: int
    insights: dict
    error: str = ""


@dataclass
class RunSnapshot:
    """What a client needs to draw a run as of event `seq`: its start, state, and how much of it the files hold."""

    seq: int
    status: str
    folder: str
    lr: float
    started: RunStarted | None = None  # without its history: that is in the files
    epochs_recorded: int = 0  # lines of metrics.jsonl as of `seq`
    steps_recorded: int = 0  # losses in steps.f32 as of `seq`
    finished: RunFinished | None = None
    probes: list[str] = field(default_factory=list)


Event = RunStarted | StepMetrics | EpochEnded | StateChanged | LrChanged | InsightsReady | RunFinished
