"""The training loop: events, thread-safe control, divergence, early stopping, metrics."""

from __future__ import annotations

import math
import threading
import time

import pytest
import torch

from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.registry import load_raw
from tui_dl.engine.errors import ConfigError, UserError
from tui_dl.engine.events import (
    EpochEnded,
    EpochMetrics,
    LrChanged,
    RunFinished,
    RunStarted,
    StateChanged,
    StepMetrics,
)
from tui_dl.engine.data.prepare import prepare
from tui_dl.engine.training.trainer import Trainer

TIMEOUT = 30


class Recorder:
    """Collects every event a trainer emits."""

    def __init__(self, trainer: Trainer):
        self.events: list = []
        trainer.subscribe(self.events.append)

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def start(trainer: Trainer) -> tuple[threading.Thread, dict]:
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("finished", trainer.run()), daemon=True)
    thread.start()
    return thread, result


def test_event_order(config_factory):
    config = config_factory("circle", samples=100, epochs=3, batch_size=16)
    trainer = Trainer(config, report_interval=0.0)
    rec = Recorder(trainer)
    finished = trainer.run()

    assert isinstance(rec.events[0], RunStarted)
    assert isinstance(rec.events[-1], RunFinished) and rec.events[-1] is finished
    assert finished.status == "completed" and finished.message == ""
    assert finished.epochs_done == 3 and trainer.epoch == 3 and trainer.state == "completed"

    started = rec.events[0]
    assert started.task == "classification" and started.device == "cpu"
    assert started.summary == "2 -> 16 -> 2, relu, 82 params" and started.parameters == 82
    assert (started.train_samples, started.val_samples, started.steps_per_epoch) == (80, 20, 5)
    assert started.start_epoch == 0 and started.class_names == ["outside", "inside"]

    middle = rec.events[1:-1]
    assert all(isinstance(e, (StepMetrics, EpochEnded)) for e in middle)
    ends = [i for i, e in enumerate(middle) if isinstance(e, EpochEnded)]
    assert [middle[i].metrics.epoch for i in ends] == [1, 2, 3]
    previous = -1
    for epoch, end in enumerate(ends, start=1):
        steps = [e for e in middle[previous + 1:end] if isinstance(e, StepMetrics)]
        assert steps, f"no step metrics before the end of epoch {epoch}"
        assert all(s.epoch == epoch and s.steps_in_epoch == 5 for s in steps)
        assert sum(len(s.losses) for s in steps) == 5
        assert steps[-1].step_in_epoch == 5
        assert [s.first_step for s in steps] == sorted(s.first_step for s in steps)
        assert steps[0].first_step == (epoch - 1) * 5
        previous = end
    assert len(trainer.step_losses) == 15
    assert [m.epoch for m in trainer.history] == [1, 2, 3]
    assert [m.step for m in trainer.history] == [5, 10, 15]


def test_epoch_metrics_classification(config_factory):
    trainer = Trainer(config_factory("xor", samples=100, epochs=2))
    trainer.run()
    m = trainer.history[-1]
    assert m.train_acc is not None and 0 <= m.train_acc <= 1
    assert m.val_acc is not None and 0 <= m.val_acc <= 1
    assert m.val_mae is None and m.val_r2 is None
    assert m.samples_per_s > 0 and m.seconds > 0 and m.lr == 0.01
    assert set(m.to_dict()) == {"epoch", "step", "train_loss", "val_loss", "lr", "samples_per_s", "seconds",
                                "train_acc", "val_acc", "weight_norms", "grad_norms", "weight_counts"}
    layers = trainer.config.model.layers + 1
    assert len(m.weight_norms) == len(m.grad_norms) == layers
    linears = [module for module in trainer.model.modules() if isinstance(module, torch.nn.Linear)]
    assert m.weight_counts == [module.weight.numel() for module in linears]  # for RMS per element
    assert all(v > 0 for v in m.weight_norms + m.grad_norms)


def test_epoch_metrics_regression(config_factory):
    trainer = Trainer(config_factory("sine", samples=200, epochs=5, neurons=[32], lr=0.02))
    trainer.run()
    m = trainer.history[-1]
    assert m.train_acc is None and m.val_acc is None
    assert m.val_mae is not None and m.val_mae > 0
    assert m.val_r2 is not None and -10 < m.val_r2 <= 1
    assert trainer.history[-1].val_r2 > trainer.history[0].val_r2
    assert set(m.to_dict()) >= {"val_mae", "val_r2"}


def test_regression_mae_is_in_original_units(config_factory):
    # y scaled by 1000: the MAE must be reported in the data's units, not standardized ones.
    cfg = DataConfig(dataset="plane", samples=120, noise=0.5)
    config = config_factory("plane", samples=120, epochs=1, noise=0.5)
    raw = load_raw(cfg)
    small = Trainer(config, data=prepare(raw, cfg, torch.device("cpu")))
    small.run()
    raw.y = raw.y * 1000
    big = Trainer(config, data=prepare(raw, cfg, torch.device("cpu")))
    big.run()
    assert big.history[0].val_mae == pytest.approx(small.history[0].val_mae * 1000, rel=1e-3)
    assert big.history[0].val_r2 == pytest.approx(small.history[0].val_r2, abs=1e-4)


def test_no_validation_split(config_factory):
    config = config_factory("circle", samples=60, epochs=2)
    config.data.val_split = 0.0
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed"
    assert all(m.val_loss is None and m.val_acc is None for m in trainer.history)
    assert finished.best_val_loss == min(m.train_loss for m in trainer.history)


def test_pause_from_another_thread_stops_progress_and_resume_continues(config_factory):
    trainer = Trainer(config_factory("circle", samples=200, epochs=6, batch_size=10), report_interval=0.0)
    rec = Recorder(trainer)
    reached, paused_called, now_paused = threading.Event(), threading.Event(), threading.Event()

    def listener(event):
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            reached.set()
            paused_called.wait(TIMEOUT)  # hold the trainer until the other thread has paused it
        if isinstance(event, StateChanged) and event.state == "paused":
            now_paused.set()

    trainer.subscribe(listener)
    thread, result = start(trainer)
    assert reached.wait(TIMEOUT)
    trainer.pause()
    assert trainer.paused
    paused_called.set()
    assert now_paused.wait(TIMEOUT)
    assert trainer.state == "paused"
    count, epoch = len(rec.events), trainer.epoch
    time.sleep(0.4)
    assert len(rec.events) == count, "events arrived while paused"
    assert trainer.epoch == epoch == 1 and thread.is_alive()

    trainer.resume()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert result["finished"].status == "completed" and trainer.epoch == 6
    states = [e.state for e in rec.of(StateChanged)]
    assert states == ["paused", "running"]
    assert len(trainer.history) == 6
    # the 0.4 s spent paused (in epoch 2) is not counted as training time
    assert trainer.history[1].seconds < 0.4


def test_stop_from_another_thread_ends_within_a_batch(config_factory):
    trainer = Trainer(config_factory("circle", samples=400, epochs=1000, batch_size=10), report_interval=0.0)
    rec = Recorder(trainer)
    hold, stopped = threading.Event(), threading.Event()
    seen_after_stop: list = []

    def listener(event):
        if stopped.is_set():
            seen_after_stop.append(event)
        elif isinstance(event, StepMetrics) and event.epoch == 2 and event.step_in_epoch == 3:
            hold.set()
            stopped.wait(TIMEOUT)

    trainer.subscribe(listener)
    thread, result = start(trainer)
    assert hold.wait(TIMEOUT)
    trainer.stop()
    stopped.set()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    finished = result["finished"]
    assert finished.status == "stopped"
    assert finished.message == "stopped by the user during epoch 2"
    assert finished.epochs_done == 1 and trainer.state == "stopped"
    assert [type(e) for e in seen_after_stop] == [RunFinished]  # not one more batch
    assert len(trainer.step_losses) == 32 + 3  # 320 training samples in batches of 10, then 3 steps
    assert rec.events[-1] is finished


def test_stop_while_paused(config_factory):
    trainer = Trainer(config_factory("circle", samples=200, epochs=1000, batch_size=10))
    paused = threading.Event()
    trainer.subscribe(lambda e: paused.set() if isinstance(e, StateChanged) and e.state == "paused" else None)
    trainer.pause()
    thread, result = start(trainer)
    assert paused.wait(TIMEOUT)
    trainer.stop()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert result["finished"].status == "stopped" and result["finished"].epochs_done == 0


def test_set_lr_mid_run_changes_next_epoch(config_factory):
    trainer = Trainer(config_factory("circle", samples=100, epochs=3, lr=0.01))
    rec = Recorder(trainer)

    def listener(event):
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            trainer.set_lr(0.0025)

    trainer.subscribe(listener)
    assert trainer.run().status == "completed"
    assert [m.lr for m in trainer.history] == [0.01, 0.0025, 0.0025]
    assert [e.lr for e in rec.of(LrChanged)] == [0.0025]
    assert trainer.optimizer.param_groups[0]["lr"] == 0.0025
    assert trainer.config.train.lr == 0.0025
    assert trainer.checkpoint_state()["config"]["train"]["lr"] == 0.0025


def test_set_lr_from_another_thread(config_factory):
    trainer = Trainer(config_factory("circle", samples=200, epochs=5, batch_size=10), report_interval=0.0)
    hold, changed = threading.Event(), threading.Event()

    def listener(event):
        if isinstance(event, EpochEnded) and event.metrics.epoch == 2:
            hold.set()
            changed.wait(TIMEOUT)

    trainer.subscribe(listener)
    thread, _ = start(trainer)
    assert hold.wait(TIMEOUT)
    trainer.set_lr(0.5)
    changed.set()
    thread.join(TIMEOUT)
    assert [m.lr for m in trainer.history] == [0.01, 0.01, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, 101, "0.1"])
def test_set_lr_rejects_bad_values(config_factory, bad):
    trainer = Trainer(config_factory())
    with pytest.raises(UserError, match="learning rate must be > 0"):
        trainer.set_lr(bad)


def test_huge_learning_rate_diverges(config_factory):
    trainer = Trainer(config_factory("plane", samples=200, epochs=20, optimizer="sgd", lr=100))
    rec = Recorder(trainer)
    finished = trainer.run()
    assert finished.status == "diverged"
    assert "diverged in epoch 1" in finished.message and "lower learning rate (now 100)" in finished.message
    assert trainer.state == "diverged"
    assert not rec.of(EpochEnded)  # the broken epoch is not reported as finished
    assert all(math.isfinite(v) for v in trainer.step_losses)
    # the checkpoint state is the last good one (here: the initial weights)
    state = trainer.checkpoint_state()
    assert state["epoch"] == 0
    assert all(bool(v.isfinite().all()) for v in state["model"].values())


def test_early_stopping(config_factory):
    config = config_factory("circle", samples=100, epochs=300, noise=1.0, layers=3, neurons=[64], lr=0.05,
                            early_stop=3)
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "early_stopped"
    assert finished.epochs_done < 300
    assert finished.epochs_done - finished.best_epoch == 3
    assert f"best was epoch {finished.best_epoch}" in finished.message
    best = min(trainer.history, key=lambda m: m.val_loss)
    assert best.epoch == finished.best_epoch and best.val_loss == finished.best_val_loss


def test_invalid_config_is_refused_up_front(config_factory):
    config = config_factory()
    config.train.lr = -1
    with pytest.raises(ConfigError, match="learning rate"):
        Trainer(config)


def test_setup_failure_is_reported_not_raised(config_factory, tmp_path):
    trainer = Trainer(config_factory(str(tmp_path / "missing.csv")))
    rec = Recorder(trainer)
    finished = trainer.run()
    assert finished.status == "failed" and "nor an existing file" in finished.message
    assert [type(e) for e in rec.events] == [RunFinished]


def test_trainer_does_not_mutate_callers_config(config_factory):
    config = config_factory("circle", epochs=2)
    trainer = Trainer(config)
    trainer.subscribe(lambda e: trainer.set_lr(0.5) if isinstance(e, EpochEnded) else None)
    trainer.run()
    assert config.train.lr == 0.01


def test_unexpected_exception_becomes_failed_status(config_factory):
    trainer = Trainer(config_factory("circle", epochs=2))

    def broken(event):
        if isinstance(event, EpochEnded):
            raise ZeroDivisionError("boom")

    trainer.subscribe(broken)
    finished = trainer.run()
    assert finished.status == "failed"
    assert "ZeroDivisionError: boom" in finished.message
    assert "Traceback" in trainer.error_traceback


def test_same_seed_same_run(config_factory):
    a = Trainer(config_factory("spiral", samples=100, epochs=2, seed=4))
    b = Trainer(config_factory("spiral", samples=100, epochs=2, seed=4))
    a.run(), b.run()
    assert [m.train_loss for m in a.history] == [m.train_loss for m in b.history]
    c = Trainer(config_factory("spiral", samples=100, epochs=2, seed=5))
    c.run()
    assert [m.train_loss for m in a.history] != [m.train_loss for m in c.history]


def test_epoch_metrics_from_a_newer_checkpoint_ignore_unknown_keys():
    record = {"epoch": 3, "step": 30, "train_loss": 0.5, "val_loss": 0.6, "lr": 0.01, "samples_per_s": 1e4,
              "seconds": 0.1, "grad_norms": [0.1, 0.2], "a_metric_from_the_future": 1.0}
    metrics = EpochMetrics.from_dict(record)
    assert metrics.epoch == 3 and metrics.grad_norms == [0.1, 0.2]
    assert "a_metric_from_the_future" not in metrics.to_dict()


def test_one_duration_for_the_run_its_summary_and_its_epochs(config_factory, runs_folder):
    # engine.runs.duration: the run's time is its epochs' time, pauses out; the summary and RunFinished agree.
    from tui_dl.engine.runs.listing import read_summary
    from tui_dl.engine.runs.recorder import RunRecorder

    trainer = Trainer(config_factory("circle", samples=100, epochs=4))
    recorder = RunRecorder(trainer, runs_folder)
    trainer.subscribe(lambda e: time.sleep(0.3) if isinstance(e, RunStarted) else None)  # setup: not run time
    finished = trainer.run()
    assert finished.seconds == pytest.approx(sum(m.seconds for m in trainer.history))
    assert finished.seconds < 0.3
    assert read_summary(recorder.folder).seconds == finished.seconds


def test_a_stopped_run_counts_its_unfinished_epoch_but_not_its_pause(config_factory):
    trainer = Trainer(config_factory("spiral", samples=4000, epochs=1000, batch_size=8))
    rec = Recorder(trainer)
    thread, result = start(trainer)
    deadline = time.monotonic() + TIMEOUT
    while not rec.of(StepMetrics) and time.monotonic() < deadline:
        time.sleep(0.01)
    trainer.pause()
    while not rec.of(StateChanged) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)
    trainer.stop()
    thread.join(TIMEOUT)
    finished = result["finished"]
    done = sum(m.seconds for m in trainer.history)
    assert finished.status == "stopped" and finished.seconds > done  # the unfinished epoch counts
    assert finished.seconds < done + 0.4  # the 0.5 s pause does not


@pytest.mark.parametrize("seconds, text", [(0, "0.0s"), (1.74, "1.7s"), (59.9, "59.9s"), (59.97, "1:00"),
                                           (125.7, "2:06"), (3725, "1:02:05")])
def test_format_duration(seconds, text):
    from tui_dl.engine.runs.duration import format_duration

    assert format_duration(seconds) == text


def test_a_model_too_large_for_memory_is_refused_before_it_is_built(config_factory, monkeypatch):
    # 2 -> 65536 -> 65536 -> 2: 4.3 billion parameters, about 120 GiB with Adam's state and the snapshot.
    config = config_factory("circle", samples=100, layers=2, neurons=[65_536])
    built = []
    monkeypatch.setattr("tui_dl.engine.training.trainer.build_model", lambda *a: built.append(a))
    trainer = Trainer(config)
    with pytest.raises(UserError, match=r"will not fit in memory: it needs about 1\d\d\.\d GiB \(weights 16\.0 GiB"):
        trainer.setup()
    assert not built
    finished = Trainer(config).run()
    assert finished.status == "failed" and "fewer or narrower layers" in finished.message


def test_a_run_close_to_the_memory_limit_warns(config_factory, monkeypatch):
    from tui_dl.engine.training.memory import estimate

    config = config_factory("circle", samples=100, layers=2, neurons=[256])
    needed = estimate(config, 2, 2, 80, regression=False)
    monkeypatch.setattr("tui_dl.engine.training.device.free_memory", lambda device: int((needed.total - needed.data) / 0.8))
    trainer = Trainer(config)
    trainer.setup()
    assert any(n.startswith("memory is tight: the run needs about") for n in trainer.notices)


def test_memory_estimate_counts_each_part(config_factory):
    from tui_dl.engine.training.memory import estimate

    adam = config_factory("circle", layers=1, neurons=[10], batch_size=4)
    params = 2 * 10 + 10 + 10 * 2 + 2
    e = estimate(adam, 2, 2, samples=100, regression=False)
    assert (e.weights, e.gradients, e.optimizer, e.snapshot) == (4 * params, 4 * params, 8 * params, 12 * params)
    sgd = config_factory("circle", layers=1, neurons=[10], optimizer="sgd", momentum=0.0)
    assert estimate(sgd, 2, 2, 100, False).optimizer == 0
    wide = estimate(config_factory("circle", layers=1, neurons=[1000], batch_size=4), 2, 2, 100_000, False)
    assert wide.activations == 65_536 * 1002 * 4  # an evaluation chunk through the widest layer
