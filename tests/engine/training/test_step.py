"""One step at a time: while paused, `step_once` trains exactly one batch and reports it."""

from __future__ import annotations

import threading

import torch

from tui_dl.engine.training.control import Control
from tui_dl.engine.events import EpochEnded, InsightsReady, RunFinished, StateChanged, StepMetrics
from tui_dl.engine.training.trainer import Trainer

TIMEOUT = 30


class Events:
    """Every event of a trainer, and a way to wait for the next one of a kind."""

    def __init__(self, trainer: Trainer):
        self.events: list = []
        self.arrived = threading.Condition()
        trainer.subscribe(self._add)

    def _add(self, event) -> None:
        with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    def of(self, kind) -> list:
        with self.arrived:
            return [e for e in self.events if isinstance(e, kind)]

    def wait_for(self, kind, count: int) -> list:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len([e for e in self.events if isinstance(e, kind)]) >= count,
                                         TIMEOUT), f"fewer than {count} {kind.__name__}"
        return self.of(kind)


def paused_trainer(config) -> tuple[Trainer, Events, threading.Thread]:
    """A trainer started paused, waiting before its first batch."""
    trainer = Trainer(config, report_interval=3600)  # steps are otherwise reported only at an epoch's end
    events = Events(trainer)
    trainer.pause()
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    events.wait_for(StateChanged, 1)
    return trainer, events, thread


def weights(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.model.parameters()]


def test_a_step_trains_exactly_one_batch_of_the_run(config_factory):
    config = config_factory("circle", samples=200, epochs=3, batch_size=10)
    trainer, events, thread = paused_trainer(config)
    initial = weights(trainer)
    assert trainer.step_once()
    steps = events.wait_for(StepMetrics, 1)
    assert len(steps[0].losses) == 1 and steps[0].first_step == 0 and steps[0].step_in_epoch == 1
    assert len(trainer.step_losses) == 1 and trainer.epoch == 0 and trainer.paused
    stepped = weights(trainer)
    assert any(not torch.equal(a, b) for a, b in zip(initial, stepped))

    # the same seed without pausing, stopped after its first batch: the very same weights
    reference = Trainer(config, report_interval=0.0)
    reference.subscribe(lambda e: reference.stop() if isinstance(e, StepMetrics) else None)
    assert reference.run().status == "stopped" and len(reference.step_losses) == 1
    assert all(torch.equal(a, b) for a, b in zip(weights(reference), stepped))
    assert reference.step_losses[0] == trainer.step_losses[0]

    assert [e.state for e in events.of(StateChanged)] == ["paused"]  # a step does not resume the run
    trainer.stop()
    thread.join(TIMEOUT)


def test_stepping_through_the_end_of_an_epoch_reports_the_epoch(config_factory):
    config = config_factory("circle", samples=50, epochs=2, batch_size=20)  # 40 training samples: 2 batches
    trainer, events, thread = paused_trainer(config)
    trainer.step_once()
    events.wait_for(StepMetrics, 1)
    assert not events.of(EpochEnded)
    trainer.step_once()
    ended = events.wait_for(EpochEnded, 1)
    assert ended[0].metrics.epoch == 1 and ended[0].metrics.step == 2
    assert len(trainer.step_losses) == 2 and trainer.paused and trainer.state == "paused"
    trainer.resume()
    thread.join(TIMEOUT)
    assert events.of(RunFinished)[0].status == "completed"
    assert len(trainer.step_losses) == 4 and trainer.epoch == 2
    assert [e.state for e in events.of(StateChanged)] == ["paused", "running"]


def test_several_steps_train_as_many_batches(config_factory):
    trainer, events, thread = paused_trainer(config_factory("spiral", samples=200, epochs=2, batch_size=8))
    for _ in range(3):
        trainer.step_once()
    events.wait_for(StepMetrics, 3)
    assert [s.first_step for s in events.of(StepMetrics)] == [0, 1, 2]
    assert sum(len(s.losses) for s in events.of(StepMetrics)) == 3
    trainer.stop()
    thread.join(TIMEOUT)
    assert events.of(RunFinished)[0].status == "stopped" and len(trainer.step_losses) == 3


class Blocks(threading.Event):
    """A Control's wake-up event that counts the times the training thread blocks on it: paused, no step left."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.changed = threading.Condition()

    def wait(self, timeout=None):
        with self.changed:
            self.count += 1
            self.changed.notify_all()
        return super().wait(timeout)

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.count >= count, TIMEOUT), f"blocked fewer than {count} times"


def blocking_trainer(config) -> tuple[Trainer, Events, threading.Thread, Blocks]:
    """A trainer started paused, blocked before its first batch, whose blocking waits are counted."""
    trainer = Trainer(config, report_interval=3600)
    blocks = trainer.control._wake = Blocks()
    events = Events(trainer)
    trainer.pause()
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    blocks.wait_for(1)
    return trainer, events, thread, blocks


def test_once_a_step_is_done_the_run_waits_for_the_next_command_with_one_batch_trained(config_factory):
    # Checked once the trainer blocks again (paused, no step left), not at the first StepMetrics: a second batch
    # taken for the same step would come after that event.
    trainer, events, thread, blocks = blocking_trainer(config_factory("circle", samples=200, epochs=2, batch_size=10))
    assert trainer.step_once()
    blocks.wait_for(2)
    assert len(trainer.step_losses) == 1 and sum(len(s.losses) for s in events.of(StepMetrics)) == 1
    for done in (2, 3):
        assert trainer.step_once()
        blocks.wait_for(done + 1)
    assert len(trainer.step_losses) == 3 and [s.first_step for s in events.of(StepMetrics)] == [0, 1, 2]
    assert trainer.paused and trainer.epoch == 0
    trainer.stop()
    thread.join(TIMEOUT)
    assert events.of(RunFinished)[0].status == "stopped" and len(trainer.step_losses) == 3


def test_a_step_refreshes_the_insight_views(config_factory):
    trainer, events, thread = paused_trainer(config_factory("circle", samples=200, epochs=2, batch_size=10))
    trainer.probes = frozenset({"boundary"})
    trainer.step_once()
    ready = events.wait_for(InsightsReady, 1)
    assert "boundary" in ready[0].insights and ready[0].epoch == 0
    trainer.stop()
    thread.join(TIMEOUT)


def test_a_step_is_refused_unless_paused(config_factory):
    trainer = Trainer(config_factory("circle", samples=60, epochs=1))
    assert not trainer.step_once()  # running (not paused)
    trainer.run()
    trainer.pause()
    trainer.stop()
    assert not trainer.step_once()  # stopped


def test_steps_allowed_but_not_taken_are_dropped_on_resume():
    control = Control()
    control.pause()
    assert control.step() and control.step()
    control.resume()
    control.pause()
    waited = threading.Thread(target=control.wait, daemon=True)
    waited.start()
    waited.join(0.2)
    assert waited.is_alive()  # no step left over: it waits
    control.step()
    waited.join(TIMEOUT)
    assert not waited.is_alive()


def test_the_batches_before_a_pause_are_reported_when_it_begins(config_factory, monkeypatch):
    # Steps are reported every report_interval (here: never before the epoch ends) and when a pause begins, so a
    # paused run's charts show every batch it trained. The pause is asked for before batch 4 of epoch 1.
    from tui_dl.engine.training import trainer as module

    original = module.learning_rate
    holder: dict = {}

    def pausing(base, epoch, step, *rest):
        if (epoch, step) == (0, 3):
            holder["trainer"].pause()
        return original(base, epoch, step, *rest)

    monkeypatch.setattr(module, "learning_rate", pausing)
    trainer = Trainer(config_factory("spiral", samples=200, epochs=2, batch_size=8), report_interval=3600)
    holder["trainer"] = trainer
    events = Events(trainer)
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    events.wait_for(StateChanged, 1)
    steps = events.wait_for(StepMetrics, 1)
    assert [len(s.losses) for s in steps] == [4] and trainer.paused
    trainer.stop()
    thread.join(TIMEOUT)
