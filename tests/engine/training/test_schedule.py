"""Learning-rate schedules: each curve, warm-up, reduce-on-plateau, F8 mid-schedule and resuming a schedule."""

from __future__ import annotations

import math

import pytest

from tui_dl.engine.config import TrainConfig
from tui_dl.engine.events import EpochEnded
from tui_dl.engine.training.schedule import Plateau, learning_rate
from tui_dl.engine.training.trainer import Trainer


def curve(train: TrainConfig, steps_per_epoch: int = 1, plateau: Plateau | None = None) -> list[float]:
    """The rate of every batch of the run, base 1."""
    plateau = plateau or Plateau()
    return [learning_rate(1.0, e, s, steps_per_epoch, train, plateau)
            for e in range(train.epochs) for s in range(steps_per_epoch)]


def test_constant_is_the_base_rate():
    assert set(curve(TrainConfig(epochs=20), 3)) == {1.0}
    assert learning_rate(0.03, 7, 2, 5, TrainConfig(), Plateau()) == 0.03


def test_step_decay_multiplies_by_the_factor_every_n_epochs():
    train = TrainConfig(epochs=25, schedule="step", decay_epochs=10, decay_factor=0.5)
    assert curve(train) == [1.0] * 10 + [0.5] * 10 + [0.25] * 5


def test_cosine_falls_from_the_base_rate_towards_zero_over_the_run():
    train = TrainConfig(epochs=10, schedule="cosine")
    rates = curve(train, 4)
    assert rates[0] == 1.0
    assert rates[20] == pytest.approx(0.5)  # half way: epoch 5, batch 0
    assert all(a > b for a, b in zip(rates, rates[1:]))  # batch by batch
    assert 0 < rates[-1] < 0.002
    assert rates[1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.25 / 10)))


def test_warm_up_rises_linearly_then_the_schedule_starts_at_the_base_rate():
    train = TrainConfig(epochs=12, schedule="cosine", warmup=2)
    rates = curve(train, 5)
    assert rates[:10] == pytest.approx([k / 10 for k in range(1, 11)])  # 2 epochs x 5 batches, the last at 1
    assert rates[10] == 1.0  # the cosine's start
    assert rates[10 + 25] == pytest.approx(0.5)  # half of the remaining 10 epochs
    step = TrainConfig(epochs=30, schedule="step", warmup=5, decay_epochs=10)
    assert curve(step)[4:6] == [1.0, 1.0] and curve(step)[15] == 0.5  # decays count from the warm-up's end


def test_plateau_reduces_after_n_epochs_without_improvement_not_counting_warm_up():
    train = TrainConfig(schedule="plateau", decay_epochs=2, decay_factor=0.1, warmup=1)
    plateau = Plateau()
    shares = []
    for epoch, loss in enumerate([9.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6], start=1):
        plateau.observe(epoch, loss, train)
        shares.append(learning_rate(1.0, epoch, 0, 1, train, plateau))
    assert plateau.best == 0.5
    assert shares == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001])
    assert Plateau.from_dict(plateau.to_dict()) == plateau
    ignored = Plateau()
    ignored.observe(3, 1.0, TrainConfig(schedule="cosine"))
    assert ignored == Plateau()


def test_the_charted_rate_of_each_epoch_follows_the_schedule(config_factory):
    config = config_factory("circle", samples=100, epochs=8, batch_size=20, lr=0.04, schedule="cosine", warmup=2)
    trainer = Trainer(config)
    trainer.run()
    spe = trainer.steps_per_epoch
    expected = [learning_rate(0.04, e, spe - 1, spe, config.train, Plateau()) for e in range(8)]
    assert [m.lr for m in trainer.history] == pytest.approx(expected)  # the epoch's last batch
    assert trainer.history[1].lr == pytest.approx(0.04)  # warm-up's end


def test_f8_sets_the_base_rate_and_the_schedule_goes_on_from_it(config_factory):
    config = config_factory("circle", samples=100, epochs=10, batch_size=100, lr=0.04, schedule="cosine")
    trainer = Trainer(config)
    trainer.subscribe(lambda e: trainer.set_lr(0.1) if isinstance(e, EpochEnded) and e.metrics.epoch == 4 else None)
    trainer.run()
    share = [learning_rate(1.0, e, 0, 1, config.train, Plateau()) for e in range(10)]
    assert [m.lr for m in trainer.history] == pytest.approx([0.04 * s for s in share[:4]] +
                                                            [0.1 * s for s in share[4:]])
    assert trainer.config.train.lr == 0.1  # the base, as a checkpoint keeps it


def test_a_resumed_run_continues_its_plateau_schedule(config_factory):
    def run(epochs: int, resume: dict | None = None) -> Trainer:
        config = config_factory("gauss", samples=120, epochs=epochs, noise=0.9, lr=0.05, schedule="plateau",
                                decay_epochs=1, decay_factor=0.5)
        trainer = Trainer(config, resume=resume)
        assert trainer.run().status == "completed"
        return trainer

    whole = run(14)
    rates = [m.lr for m in whole.history]
    first_cut = next(i for i, (a, b) in enumerate(zip(rates, rates[1:])) if b < a) + 1  # epochs before it
    assert first_cut < 13, rates
    cut = first_cut + 1  # the checkpoint comes after a reduction
    part = run(cut)
    assert part.checkpoint_state()["plateau"]["reductions"] >= 1
    resumed = run(14, resume=part.checkpoint_state())
    assert [m.lr for m in resumed.history] == pytest.approx(rates)
    assert resumed.plateau == whole.plateau
