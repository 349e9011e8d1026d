"""Run folders: each training run's config, metrics, checkpoints and summary, written as it trains.

A run folder holds `config.toml`, `metrics.jsonl` (one line per epoch, appended), `steps.f32` (every step's
training loss, float32, appended), `best.pt`, `last.pt` and `summary.json` (with the run's state: running,
paused, or how it ended). Checkpoints and the summary are written by a background thread, so recording costs
the training loop a few short file appends. Reading runs back is `run_list`, exporting them `run_export`.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import numpy as np

from tui_dl.engine.config import dump_toml
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import (
    EpochEnded,
    Event,
    LrChanged,
    RunFinished,
    RunStarted,
    RunStatus,
    StateChanged,
    StepMetrics,
)
from tui_dl.engine.training.process import process_alive
from tui_dl.engine.runs.lock import RunLock, lock_state
from tui_dl.i18n import _

CONFIG, METRICS, SUMMARY, BEST, LAST = "config.toml", "metrics.jsonl", "summary.json", "best.pt", "last.pt"
STEPS, STEP_DTYPE = "steps.f32", "<f4"
LAST_EVERY_S = 60.0  # last.pt is refreshed this often during a run, and written when it ends
SUMMARY_EVERY_S = 2.0  # summary.json is refreshed this often during a run
BEST_EVERY_S = 5.0  # best.pt is rewritten at most this often (the newest best waits), and when the run ends


class RunError(UserError):
    """A run folder could not be found or read."""


@dataclass
class RunSummary:
    """What the runs list shows of one run (the contents of `summary.json`).

    `lr` is the configured learning rate, `last_lr` the last one used when it was changed mid-run (F8).
    The best validation metrics are each the best of any epoch; the test metrics are the final model's
    (see `RunFinished.test`). Keys a summary lacks (written by an older tui-dl) keep these defaults.
    """

    name: str
    dataset: str = ""
    task: str = ""
    architecture: str = ""
    optimizer: str = ""
    lr: float = 0.0
    last_lr: float | None = None
    activation: str = ""
    epochs: int = 0
    epochs_total: int = 0
    best_epoch: int = 0
    best_val_loss: float | None = None
    best_val_acc: float | None = None
    best_val_mae: float | None = None
    best_val_r2: float | None = None
    test_loss: float | None = None
    test_acc: float | None = None
    test_mae: float | None = None
    test_r2: float | None = None
    seconds: float = 0.0
    status: str = "running"
    message: str = ""
    started: str = ""
    device: str = ""
    parameters: int = 0
    resumed_from: str = ""
    pid: int = 0
    host: str = ""
    path: Path | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path) -> RunSummary:
        """From `summary.json` contents, ignoring unknown keys."""
        known = {f.name for f in fields(cls)} - {"path"}
        return cls(**{k: v for k, v in data.items() if k in known}, path=path)

    @property
    def live_status(self) -> str:
        """`status`, or "crashed" for a run marked live whose process no longer holds its lock.

        A run's process holds an exclusive lock on the folder's lock file for its whole life (the kernel
        drops it when the process dies, even by kill -9). Folders of older versions have no lock file:
        those fall back to whether the recorded pid still runs here ("interrupted" when not).
        """
        if not RunStatus.is_live(self.status):
            return self.status
        held = lock_state(self.path) if self.path is not None else None
        if held is not None:
            return self.status if held else RunStatus.CRASHED
        if self.host != socket.gethostname() or not self.pid:
            return self.status
        return self.status if process_alive(self.pid) else RunStatus.INTERRUPTED


    @property
    def live(self) -> bool:
        """Its process is training (or setting up, or paused)."""
        return RunStatus.is_live(self.live_status)


TEST_KEYS = tuple(f.name for f in fields(RunSummary) if f.name.startswith("test_"))  # RunFinished.test's keys


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def unique_folder(root: Path, name: str) -> Path:
    """`root/name`, or `root/name-2`, `-3`, ... when taken; created."""
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        folder = root / (name if n == 1 else f"{name}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise RunError(_("too many runs named {name} in {root}").format(name=name, root=root))


def default_run_name(dataset: str) -> str:
    """`YYYYMMDD-HHMMSS-dataset` (the data set's file stem for a path)."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{Path(dataset).stem}"


class RunRecorder:
    """Records a trainer's run into a folder under `root`, created when the run starts.

    Write failures (a full disk, a removed folder) never stop training; they are kept in `errors`.
    """

    def __init__(self, trainer, root: Path, name: str | None = None, resumed_from: str = "",
                 folder: Path | None = None):
        """`folder`: an existing, empty folder to record into (a detached run's, made by its launcher)."""
        self.trainer = trainer
        self.root = Path(root).expanduser()
        self.name = name
        self.resumed_from = resumed_from
        self.given_folder = folder
        self.folder: Path | None = None
        self.errors: list[str] = []
        self.summary: RunSummary | None = None
        self._metrics: TextIO | None = None
        self._steps: BinaryIO | None = None
        self._lock: RunLock | None = None  # held while recording into a folder made here
        self._writer: _Writer | None = None
        self._last_at = self._summary_at = 0.0
        trainer.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        try:
            if isinstance(event, RunStarted):
                self._started(event)
            elif self._writer is None:  # no run folder, or setting it up failed part way
                return
            elif isinstance(event, StepMetrics):
                self._steps.write(np.asarray(event.losses, dtype=STEP_DTYPE).tobytes())
                self._steps.flush()
            elif isinstance(event, EpochEnded):
                self._epoch(event)
            elif isinstance(event, LrChanged):
                self.summary.last_lr = event.lr
            elif isinstance(event, StateChanged):
                self.summary.status = event.state
                self._writer.submit(SUMMARY, self.summary.to_dict())
            elif isinstance(event, RunFinished):
                self._finished(event)
        except (OSError, UserError) as exc:
            self.errors.append(_("run folder {folder}: {reason}").format(
                                   folder=self.folder or self.root, reason=getattr(exc, 'strerror', None) or exc))
            if self._writer is None:  # setting up failed part way
                self._close_files()

    def _close_files(self) -> None:
        for handle in (self._metrics, self._steps):
            if handle is not None:
                handle.close()
        self._metrics = self._steps = None
        if self._lock is not None:
            self._lock.release()

    def _started(self, event: RunStarted) -> None:
        cfg = event.config
        if self.given_folder is not None:
            self.folder = self.given_folder  # its process holds the folder's lock
        else:
            self.folder = unique_folder(self.root, self.name or default_run_name(cfg.data.dataset))
            self._lock = RunLock(self.folder)
            self._lock.acquire()
        (self.folder / CONFIG).write_text(dump_toml(cfg), encoding="utf-8")
        self._metrics = open(self.folder / METRICS, "w", encoding="utf-8")  # noqa: SIM115 - closed at the end
        self._steps = open(self.folder / STEPS, "wb")  # noqa: SIM115 - closed at the end
        self._steps.write(event.step_losses.astype(STEP_DTYPE).tobytes())
        self._steps.flush()
        history = self.trainer.history
        self.summary = RunSummary(
            name=self.folder.name, dataset=cfg.data.dataset, task=event.task,
            architecture=event.summary.split(",")[0], optimizer=cfg.train.optimizer, lr=cfg.train.lr,
            activation=cfg.model.activation, epochs_total=cfg.train.epochs, started=time.strftime("%Y-%m-%d %H:%M:%S"),
            device=event.device, parameters=event.parameters, resumed_from=self.resumed_from, pid=os.getpid(),
            host=socket.gethostname(), path=self.folder)
        for metrics in history:
            self._metrics.write(json.dumps(metrics.to_dict()) + "\n")
            self._update(metrics, self.trainer.best_epoch, self.trainer.best_val_loss)
        self._metrics.flush()
        _write_atomic(self.folder / SUMMARY, json.dumps(self.summary.to_dict(), indent=1))
        self._writer = _Writer(self.trainer, self.folder, self.errors)
        if history and self.trainer.best_epoch == self.trainer.epoch:  # resumed at its best epoch
            self._writer.submit(BEST, self.trainer.snapshot)
        self._last_at = self._summary_at = time.monotonic()

    def _update(self, metrics, best_epoch: int, best_val_loss: float | None) -> None:
        s = self.summary
        s.epochs, s.best_epoch, s.best_val_loss = metrics.epoch, best_epoch, best_val_loss
        s.seconds += metrics.seconds
        s.best_val_acc = _better(s.best_val_acc, metrics.val_acc, max)
        s.best_val_r2 = _better(s.best_val_r2, metrics.val_r2, max)
        s.best_val_mae = _better(s.best_val_mae, metrics.val_mae, min)

    def _epoch(self, event: EpochEnded) -> None:
        metrics = event.metrics
        self._metrics.write(json.dumps(metrics.to_dict()) + "\n")
        self._metrics.flush()
        self._update(metrics, event.best_epoch, event.best_val_loss)
        now = time.monotonic()
        snapshot = self.trainer.snapshot
        if event.best_epoch == metrics.epoch:
            self._writer.submit(BEST, snapshot)
        if now - self._last_at >= LAST_EVERY_S:
            self._writer.submit(LAST, snapshot)
            self._last_at = now
        if now - self._summary_at >= SUMMARY_EVERY_S:
            self._writer.submit(SUMMARY, self.summary.to_dict())
            self._summary_at = now

    def _finished(self, event: RunFinished) -> None:
        self.summary.status, self.summary.message = event.status, event.message
        self.summary.seconds = event.seconds  # with the last, unfinished epoch
        for key in TEST_KEYS:
            setattr(self.summary, key, event.test.get(key))
        if self.trainer.epoch > 0:
            self._writer.submit(LAST, self.trainer.snapshot)
        self._writer.submit(SUMMARY, self.summary.to_dict())
        self._writer.close()
        self._close_files()


def _better(best: float | None, value: float | None, pick) -> float | None:
    """`pick(best, value)` (max or min), either one when the other is missing."""
    if value is None or best is None:
        return best if value is None else value
    return pick(best, value)


class _Writer(threading.Thread):
    """Writes checkpoints and the summary off the training thread; a newer item replaces a pending one.

    best.pt waits BEST_EVERY_S after its previous write: a run improving every epoch writes it a few times a
    minute, not every epoch (each write competes with training for the CPU and the GIL).
    """

    def __init__(self, trainer, folder: Path, errors: list[str]):
        super().__init__(name="tui-dl run writer", daemon=True)
        self.trainer, self.folder, self.errors = trainer, folder, errors
        self.pending: dict[str, Any] = {}
        self.not_before: dict[str, float] = {}
        self.closing = False
        self.changed = threading.Condition()
        self.start()

    def submit(self, file: str, item: Any) -> None:
        with self.changed:
            self.pending[file] = item
            self.changed.notify()

    def close(self) -> None:
        """Write what is pending, then end the thread."""
        with self.changed:
            self.closing = True
            self.changed.notify()
        self.join()

    def _due(self) -> tuple[dict[str, Any], float | None]:
        """Pending items that may be written now, and how long until the next one may."""
        if self.closing:
            work, self.pending = self.pending, {}
            return work, None
        now = time.monotonic()
        work = {f: item for f, item in self.pending.items() if self.not_before.get(f, 0.0) <= now}
        for file in work:
            del self.pending[file]
        wait = min((self.not_before[f] - now for f in self.pending), default=None)
        return work, wait

    def run(self) -> None:
        while True:
            with self.changed:
                work, wait = self._due()
                while not work and not self.closing:
                    self.changed.wait(wait)
                    work, wait = self._due()
                done = self.closing and not work
            if done:
                return
            for file, item in work.items():
                self._write(file, item)
                if file == BEST:
                    self.not_before[file] = time.monotonic() + BEST_EVERY_S

    def _write(self, file: str, item: Any) -> None:
        from tui_dl.engine.training.checkpoint import save_checkpoint

        try:
            if file == SUMMARY:
                _write_atomic(self.folder / SUMMARY, json.dumps(item, indent=1))
            else:
                save_checkpoint(self.trainer.checkpoint_state(item), self.folder / file)
        except (OSError, UserError) as exc:
            self.errors.append(f"{self.folder / file}: {getattr(exc, 'strerror', None) or exc}")
