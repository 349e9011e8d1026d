"""One run, owned in one place: its trainer, its record, the control verbs and the numbered event stream.

A foreground `tui-dl train`, a detached run process and the UI's in-process runs all drive a RunSession;
none of them reaches into the trainer. Events reach listeners after the recorder has written them to the run
folder, numbered from 1, so a client that attaches reads the run's files up to `snapshot()` and follows the
events after it, with no gap and no duplicate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import (
    EpochEnded,
    Event,
    RunFinished,
    RunSnapshot,
    RunStarted,
    RunStatus,
    StateChanged,
    StepMetrics,
)
from tui_dl.engine.runs.recorder import RunRecorder
from tui_dl.engine.training.trainer import Trainer
from tui_dl.i18n import _

Listener = Callable[[int, Event], None]


class RunSession:
    """A run: `run()` trains on the calling thread; the verbs may be called from any thread."""

    def __init__(self, config: RunConfig, runs_root: Path, *, resume: dict | None = None, resumed_from: str = "",
                 name: str | None = None, folder: Path | None = None):
        self.trainer = Trainer(config, resume=resume)
        self.recorder = RunRecorder(self.trainer, runs_root, name, resumed_from, folder=folder)
        self.status = RunStatus.STARTING
        self.started: RunStarted | None = None
        self.finished: RunFinished | None = None
        self._seq = 0
        self._epochs = self._steps = 0
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self.trainer.subscribe(self._on_event)  # after the recorder: files first, then listeners

    # events ---------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """`listener(seq, event)` is called on the training thread for every event from now on."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _on_event(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, RunStarted):
                self.started, self.status = event, RunStatus.RUNNING
                self._epochs, self._steps = len(event.history), len(event.step_losses)
            elif isinstance(event, StepMetrics):
                self._steps += len(event.losses)
            elif isinstance(event, EpochEnded):
                self._epochs += 1
            elif isinstance(event, StateChanged):
                self.status = RunStatus(event.state)
            elif isinstance(event, RunFinished):
                event = replace(event, problems=list(self.recorder.errors))  # the record is complete by now
                self.finished, self.status = event, RunStatus(event.status)
            self._seq += 1
            for listener in list(self._listeners):
                listener(self._seq, event)

    def snapshot(self) -> RunSnapshot:
        """The run as of the latest event (take it together with `subscribe` under `attach`)."""
        with self._lock:
            started = replace(self.started, history=[], step_losses=np.zeros(0, np.float32)) if self.started else None
            folder = self.recorder.folder or self.recorder.given_folder
            return RunSnapshot(self._seq, self.status, str(folder or ""), self.trainer.config.train.lr, started,
                               self._epochs, self._steps, self.finished, sorted(self.trainer.probes))

    def attach(self, listener: Listener) -> RunSnapshot:
        """Subscribe `listener` and return the snapshot its first event follows, atomically."""
        with self._lock:
            self.subscribe(listener)
            return self.snapshot()

    # control verbs (any thread) ---------------------------------------------------------------------

    def pause(self, source: str = "") -> None:
        self.trainer.pause(source)

    def resume(self, source: str = "") -> None:
        self.trainer.resume(source)

    def stop(self, source: str = "") -> None:
        self.trainer.stop()

    def step(self, source: str = "") -> None:
        """While paused, train exactly one batch and stay paused (UserError when the run is not paused)."""
        if not self.trainer.step_once(source):
            raise UserError(_("one batch at a time is for a paused run: pause it first"))

    def set_lr(self, lr: float, source: str = "") -> None:
        """Raises UserError for a learning rate out of range."""
        self.trainer.set_lr(lr, source)

    def want_insights(self, kinds: frozenset[str], size: tuple[int, int]) -> None:
        """Compute these insight views at the end of epochs (none: an empty set)."""
        self.trainer.probe_size = size
        self.trainer.probes = frozenset(kinds)

    def save(self, path: Path) -> tuple[Path, int]:
        """Write the last finished epoch to `path` (blocking; UserError when it cannot); (path, epoch)."""
        from tui_dl.engine.training.checkpoint import save_checkpoint

        if self.trainer.snapshot is None:
            raise UserError(_("nothing to save yet: the run has not finished setting up"))
        state = self.trainer.checkpoint_state()
        return save_checkpoint(state, path), state["epoch"]

    def interrupt(self, reason: str) -> None:
        """A signal or a quit ends the run at the next batch: it finishes as interrupted, `reason` its message."""
        self.trainer.stop(reason)

    # running ----------------------------------------------------------------------------------------

    def run(self) -> RunFinished:
        """Set up and train to the end (never raises), using this run's share of the CPU cores."""
        from tui_dl.engine.runs.cpu_share import ThreadShare

        share = ThreadShare(self.trainer.config.train.threads)
        share.apply(force=True)
        self.trainer.subscribe(lambda event: share.apply() if isinstance(event, EpochEnded) else None)
        try:
            return self.trainer.run()
        finally:
            share.close()
