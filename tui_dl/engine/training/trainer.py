"""The training loop: device-side batches, few host syncs, events out, thread-safe control."""

from __future__ import annotations

import math
import threading
import time
import traceback
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from tui_dl.engine.config import RunConfig, learning_rate_problem
from tui_dl.engine.data.prepare import PreparedData, prepare
from tui_dl.engine.data.registry import load_raw
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import (
    EpochEnded,
    EpochMetrics,
    Event,
    InsightsReady,
    LrChanged,
    RunFinished,
    RunStarted,
    RunStatus,
    StateChanged,
    StepMetrics,
)
from tui_dl.engine.insights.compute import compute as compute_insights
from tui_dl.engine.insights.compute import layer_norms
from tui_dl.engine.insights.probe_budget import ProbeBudget
from tui_dl.engine.insights.trajectory import Trajectory
from tui_dl.engine.model import build_model, parameter_count
from tui_dl.engine.training.control import Control
from tui_dl.engine.training.device import describe_device, out_of_memory_error, release_memory, resolve_device
from tui_dl.engine.training.evaluate import measure
from tui_dl.engine.training.memory import check_fits
from tui_dl.engine.training.optim import l1_penalty, l1_weights, make_optimizer, weight_decay
from tui_dl.engine.training.schedule import Plateau, learning_rate
from tui_dl.engine.training.state import apply_resume, checkpoint_state, take_snapshot
from tui_dl.i18n import _

TRAIN_ACC_SAMPLE = 2_048  # training accuracy is measured on (at most) this many training samples
TESTED = (RunStatus.COMPLETED, RunStatus.EARLY_STOPPED)  # runs whose final model is measured on the test split
AFTER_DIVERGING = frozenset({"landscape"})  # views still drawn for a diverged run: its path up to where it left


class Trainer:
    """Trains one run. `run()` blocks; `pause`, `resume`, `step_once`, `stop` and `set_lr` may be called from
    other threads.

    The loss recorded and reported (per step and per epoch) is the data loss; an L1 penalty is added only to
    the loss that is backpropagated. The learning rate follows the schedule (`engine.training.schedule`) batch by batch,
    scaling the configured base rate.

    Subscribers receive events on the training thread and must return quickly. Set `probes` (a frozenset
    of insight names, see `engine.insights.compute`) and `probe_size` from any thread to receive InsightsReady
    events after the first epoch, then as `engine.insights.probe_budget` allows (at most every 0.5 s, within 3% of the
    training time), and when the run ends.
    """

    def __init__(self, config: RunConfig, data: PreparedData | None = None, resume: dict | None = None,
                 report_interval: float = 0.25):
        self.config = config.copy().validate()
        self.data = data
        self.report_interval = report_interval
        self.history: list[EpochMetrics] = []
        self.step_losses = array("f")
        self.best_epoch = 0
        self.best_val_loss: float | None = None
        self.state = RunStatus.IDLE
        self.error_traceback: str | None = None
        self.notices: list[str] = []
        self._resume = resume
        self._listeners: list[Callable[[Event], None]] = []
        self.control = Control()
        self._lock = threading.Lock()
        self._pending_lr: tuple[float, str] | None = None  # (learning rate, who asked)
        self._control_source = ""  # who asked for the last pause or resume
        self._stop_reason = ""  # why the run was stopped, when a signal or a quit stopped it
        self._snapshot: dict[str, Any] | None = None
        self.model: nn.Module | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.trajectory: Trajectory | None = None  # the parameters' path, for the loss landscape
        self.device: torch.device | None = None
        self.epoch = 0
        self.step = 0
        self.seconds = 0.0  # the run's time so far (see engine.runs.duration)
        self.probes: frozenset[str] = frozenset()
        self.probe_size: tuple[int, int] = (80, 40)
        self.probe_budget = ProbeBudget()
        self.plateau = Plateau()

    # control (any thread) ----------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def pause(self, source: str = "") -> None:
        """Pause at the next batch; `source` (who asked) goes into the StateChanged event."""
        self._control_source = source
        self.control.pause()

    def resume(self, source: str = "") -> None:
        self._control_source = source
        self.control.resume()

    def stop(self, reason: str = "") -> None:
        """Stop at the next batch; with a `reason` (a signal, a quit) the run ends as interrupted by it."""
        self._stop_reason = reason
        self.control.stop()

    def step_once(self, source: str = "") -> bool:
        """While paused, train exactly one batch and stay paused; its loss is reported at once (StepMetrics),
        and the epoch too when the batch ends one. False when the run is not paused."""
        self._control_source = source
        return self.control.step()

    def set_lr(self, lr: float, source: str = "") -> None:
        """Change the base learning rate (the schedule goes on scaling it); it takes effect at the next batch."""
        problem = learning_rate_problem(lr)
        if problem is not None:
            raise UserError(problem)
        with self._lock:
            self._pending_lr = (float(lr), source)

    @property
    def paused(self) -> bool:
        return self.control.paused

    # setup ------------------------------------------------------------------------------------

    def setup(self) -> None:
        """Resolve the device, load and prepare data, build model and optimizer, apply a resume state.

        Raises UserError for anything the user can fix.
        """
        cfg = self.config
        self.device = resolve_device(cfg.train.device)
        if self.data is None:
            self.data = prepare(load_raw(cfg.data), cfg.data, self.device, cfg.model.features)
        self.notices.extend(self.data.raw.notices)
        if (warning := check_fits(self.config, self.data, self.device)) is not None:
            self.notices.append(warning)
        if cfg.train.batch_size > len(self.data.x_train):
            self.notices.append(_("batch size {batch_size:,} is larger than the {samples:,} training samples: "
                                  "each epoch is one full batch").format(
                                    batch_size=cfg.train.batch_size, samples=len(self.data.x_train)))
        torch.manual_seed(cfg.train.seed)
        self.model = build_model(cfg.model, self.data.inputs, self.data.outputs).to(self.device)
        self.optimizer = make_optimizer(cfg.train.optimizer, self.model.parameters(), cfg.train.lr,
                                        cfg.train.momentum, weight_decay(cfg.train))
        self.batch_order = torch.Generator(device=self.device)  # shuffles the batches of each epoch
        self.batch_order.manual_seed(cfg.train.seed)
        if self._resume is not None:
            self._apply_resume(self._resume)
        self.trajectory = Trajectory(self.model)
        self._take_snapshot()

    def _apply_resume(self, state: dict) -> None:
        apply_resume(self, state)

    # the loop ---------------------------------------------------------------------------------

    def run(self) -> RunFinished:
        """Train to the configured epoch count, a stop, early stopping or a failure; never raises."""
        status, message, test = RunStatus.COMPLETED, "", {}
        try:
            if self.model is None:
                self.setup()
            self.state = RunStatus.RUNNING
            self.probe_budget = ProbeBudget(origin=self.seconds)  # a resumed run's earlier time buys no probes
            self._emit(self._started_event())
            status, message = self._loop()
            if status == RunStatus.DIVERGED:
                self._probe(force=True, kinds=self.probes & AFTER_DIVERGING)
            elif self.epoch > 0:
                self._probe(force=True)
            if status in TESTED:
                test = self.test_metrics()
        except UserError as exc:
            status, message = RunStatus.FAILED, str(exc)
        except out_of_memory_error():
            status = RunStatus.FAILED
            message = (_("out of memory on {device} at batch size {batch_size}: try a smaller batch size or a "
                         "smaller model").format(device=self.device, batch_size=self.config.train.batch_size))
        except Exception as exc:  # noqa: BLE001 - reported to the user, never raised into the UI
            self.error_traceback = traceback.format_exc()
            status, message = RunStatus.FAILED, _("training failed: {kind}: {exc}").format(
                                                    kind=type(exc).__name__, exc=exc)
        if (problem := release_memory(self.device)) is not None and status != RunStatus.FAILED:
            status, message = RunStatus.FAILED, problem
        self.state = status
        finished = RunFinished(status, message, self.epoch, self.best_epoch, self.best_val_loss, self.seconds, test)
        self._emit(finished)
        return finished

    def _started_event(self) -> RunStarted:
        data, cfg = self.data, self.config
        return RunStarted(
            config=cfg.copy(), device=describe_device(self.device), task=data.task,
            summary=cfg.model.summary(data.inputs, data.outputs), parameters=parameter_count(self.model),
            train_samples=len(data.x_train), val_samples=len(data.x_val),
            steps_per_epoch=self.steps_per_epoch, start_epoch=self.epoch, class_names=list(data.raw.class_names),
            history=list(self.history), step_losses=np.frombuffer(self.step_losses, dtype=np.float32).copy(),
            best_epoch=self.best_epoch, best_val_loss=self.best_val_loss, notices=list(self.notices),
        )

    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(len(self.data.x_train) / self.config.train.batch_size))

    def _loop(self) -> tuple[str, str]:
        cfg = self.config.train
        while self.epoch < cfg.epochs:
            outcome = self._train_epoch()
            if outcome is not None:
                return outcome
            patience = cfg.early_stop
            if patience and self.best_val_loss is not None and self.epoch - self.best_epoch >= patience:
                return RunStatus.EARLY_STOPPED, (_("validation loss has not improved for {patience} epochs; best "
                                                   "was epoch {best_epoch}").format(
                                                     patience=patience, best_epoch=self.best_epoch))
        return RunStatus.COMPLETED, ""

    def _train_epoch(self) -> tuple[str, str] | None:
        data, model, opt, train = self.data, self.model, self.optimizer, self.config.train
        x, y = data.x_train, data.y_train
        n, batch = len(x), train.batch_size
        steps = self.steps_per_epoch
        penalized = l1_weights(model, train)
        classification = data.task == "classification"
        loss_fn = nn.functional.cross_entropy if classification else nn.functional.mse_loss
        epoch = self.epoch + 1
        model.train()
        order = torch.randperm(n, device=self.device, generator=self.batch_order)
        pending: list[torch.Tensor] = []
        epoch_losses: list[float] = []
        first_pending = 0
        started = last_report = time.perf_counter()
        paused_for = 0.0
        for i in range(steps):
            if self._pending_lr is not None:  # asked before a pause: it applies first
                self._apply_lr()
            stepping = False  # a batch taken while paused: reported at once (as before a pause), views probed
            if self.control.paused:
                paused_for += self._wait_while_paused()
                stepping = self.control.paused
            elif self.state == RunStatus.PAUSED:  # resumed after a step, before this batch would have waited
                self._set_state(RunStatus.RUNNING)
            if self.control.stopped:
                self.seconds += time.perf_counter() - started - paused_for
                if self._stop_reason:
                    return RunStatus.INTERRUPTED, self._stop_reason
                return RunStatus.STOPPED, _("stopped by the user during epoch {epoch}").format(epoch=epoch)
            if self._pending_lr is not None:
                self._apply_lr()
            lr = learning_rate(train.lr, self.epoch, i, steps, train, self.plateau)
            if lr != opt.param_groups[0]["lr"]:
                for group in opt.param_groups:
                    group["lr"] = lr
            idx = order[i * batch:(i + 1) * batch]
            xb, yb = x[idx], y[idx]
            out = model(xb)
            loss = loss_fn(out, yb)  # the data loss: what is recorded and drawn
            opt.zero_grad(set_to_none=True)
            (loss + l1_penalty(penalized, train.reg_rate) if penalized else loss).backward()
            opt.step()
            self.trajectory.after_step()
            pending.append(loss.detach())
            now = time.perf_counter()
            if (self.control.paused or now - last_report >= self.report_interval) and i + 1 < steps:
                values = torch.stack(pending).tolist()
                if not self._report_steps(epoch, first_pending, values, steps, i + 1):
                    self.seconds += now - started - paused_for
                    return self._diverged(epoch)
                epoch_losses += values
                first_pending, pending, last_report = i + 1, [], now
                if stepping:
                    self._probe(force=True)
        values = torch.stack(pending).tolist()
        train_seconds = time.perf_counter() - started - paused_for
        if not self._report_steps(epoch, first_pending, values, steps, steps):
            self.seconds += train_seconds
            return self._diverged(epoch)
        epoch_losses += values
        last = n - (steps - 1) * batch
        train_loss = (sum(epoch_losses[:-1]) * batch + epoch_losses[-1] * last) / n
        weight_norms, grad_norms = layer_norms(model)
        metrics = self._evaluate(epoch, self.step + steps, train_loss, train_seconds,
                                 time.perf_counter() - started - paused_for)
        metrics.weight_norms, metrics.grad_norms = weight_norms, grad_norms
        self.seconds += metrics.seconds
        metrics.weight_counts = self.config.model.weight_counts(data.inputs, data.outputs)
        if not all(math.isfinite(v) for v in (metrics.train_loss, metrics.val_loss or 0.0)):
            return self._diverged(epoch)
        self.epoch, self.step = epoch, self.step + steps
        self.trajectory.after_epoch()
        self.history.append(metrics)
        watched = metrics.val_loss if metrics.val_loss is not None else metrics.train_loss
        if self.best_val_loss is None or watched < self.best_val_loss:
            self.best_epoch, self.best_val_loss = epoch, watched
        self.plateau.observe(epoch, watched, train)
        self._take_snapshot()
        self._emit(EpochEnded(metrics, self.best_epoch, self.best_val_loss))
        self._probe(force=stepping)
        return None

    def _probe(self, force: bool, kinds: frozenset[str] | None = None) -> None:
        probes = self.probes if kinds is None else kinds
        now = time.perf_counter()
        if probes and (force or self.probe_budget.due(now, self.seconds)):
            try:
                insights, error = self.insights(probes), ""
                self.probe_budget.took(now, time.perf_counter() - now, forced=force)
            except out_of_memory_error():
                raise
            except Exception as exc:  # noqa: BLE001 - a view that cannot be drawn must not end the run
                insights, error = {}, f"{type(exc).__name__}: {exc}"
                self.probe_budget.failed(now)
            self._emit(InsightsReady(self.epoch, insights, error))

    def insights(self, kinds: frozenset[str]) -> dict:
        """The insight views' data for the current weights (call from the training thread, or when idle)."""
        return compute_insights(self.model, self.data, kinds, self.probe_size, self.trajectory)

    def _report_steps(self, epoch: int, first: int, values: list[float], steps: int, done: int) -> bool:
        if not all(math.isfinite(v) for v in values):
            return False
        self.step_losses.extend(values)
        self._emit(StepMetrics(epoch, self.step + first, values, steps, done))
        return True

    def _diverged(self, epoch: int) -> tuple[str, str]:
        return RunStatus.DIVERGED, (_("training diverged in epoch {epoch}: the loss became NaN or infinite; try a "
                                      "lower learning rate (now {lr:g})").format(
                                        epoch=epoch, lr=self.optimizer.param_groups[0]['lr']))

    def _wait_while_paused(self) -> float:
        """Wait until resumed, stopped or allowed one step (then the run stays paused); the seconds waited."""
        began = time.perf_counter()
        self._set_state(RunStatus.PAUSED)
        self.control.wait()
        if not self.control.paused and not self.control.stopped:
            self._set_state(RunStatus.RUNNING)
        return time.perf_counter() - began

    def _set_state(self, state: RunStatus) -> None:
        """Paused or running: said once (StateChanged, with who asked) when it changes."""
        if state != self.state:
            self.state = state
            self._emit(StateChanged(state, self._control_source))

    def _apply_lr(self) -> None:
        """The base rate F8 set: the schedule scales it from this batch on."""
        with self._lock:
            (lr, source), self._pending_lr = self._pending_lr, None
        self.config.train.lr = lr
        self._emit(LrChanged(lr, source))

    def measure(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Loss and accuracy or MAE and R^2 of the model on (x, y): see `engine.training.evaluate.measure`."""
        return measure(self.model, self.data, x, y)

    def _evaluate(self, epoch: int, step: int, train_loss: float, train_seconds: float,
                  seconds: float) -> EpochMetrics:
        data = self.data
        val = self.measure(data.x_val, data.y_val)
        train_acc = None
        if data.task == "classification":  # in eval mode on a fixed sample: no per-step cost in the loop
            train_acc = self.measure(data.x_train[:TRAIN_ACC_SAMPLE], data.y_train[:TRAIN_ACC_SAMPLE])["acc"]
        return EpochMetrics(
            epoch=epoch, step=step, train_loss=train_loss, val_loss=val.get("loss"),
            lr=self.optimizer.param_groups[0]["lr"], samples_per_s=len(data.x_train) / max(train_seconds, 1e-9),
            seconds=seconds, train_acc=train_acc, val_acc=val.get("acc"), val_mae=val.get("mae"), val_r2=val.get("r2"),
        )

    def test_metrics(self) -> dict[str, float]:
        """Metrics on the held-out test split (empty when there is none), keys prefixed `test_`."""
        if self.data is None or self.model is None or not len(self.data.x_test):
            return {}
        return {f"test_{k}": v for k, v in self.measure(self.data.x_test, self.data.y_test).items()}

    # state for checkpoints ---------------------------------------------------------------------

    def _take_snapshot(self) -> None:
        self._snapshot = take_snapshot(self)

    @property
    def snapshot(self) -> dict[str, Any] | None:
        """The state as of the last finished epoch; replaced (never changed) after each epoch."""
        return self._snapshot

    def checkpoint_state(self, snapshot: dict[str, Any] | None = None) -> dict:
        """Everything a checkpoint holds, as of `snapshot` (default: the last finished epoch).

        Safe to call from another thread while training runs.
        """
        return checkpoint_state(self, snapshot or self._snapshot)

    def _emit(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)
