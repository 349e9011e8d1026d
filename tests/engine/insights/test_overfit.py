"""The overfitting rule: it fires when validation loss climbs while training loss falls, never on noise at a floor."""

from __future__ import annotations

import math

import numpy as np
from helpers import make_config

from tui_dl.engine.insights.overfit import overfit_onset
from tui_dl.engine.training.trainer import Trainer


def onsets(train: list[float], val: list[float]) -> list[int | None]:
    """The rule's answer after each epoch, as the Training tab asks it."""
    epochs = list(range(1, len(val) + 1))
    return [overfit_onset(epochs[:n], train[:n], val[:n]) for n in range(1, len(val) + 1)]


def falling(n: int, start: float, end: float) -> np.ndarray:
    return start * (end / start) ** (np.arange(n) / max(n - 1, 1))


# recorded-looking histories ----------------------------------------------------------------------


def test_noise_at_a_floor_never_reports():
    # A spiral solved to 100% accuracy: validation loss is flat noise at its floor (0.005-0.012, with spikes
    # where a batch knocked the model about), training loss noisy but not falling. The old rule (best epoch
    # 5 back, recent mean 5% above it, recent training mean below the training loss at the best epoch)
    # reported "overfitting" here within a few dozen epochs.
    rng = np.random.default_rng(0)
    n = 300
    val = np.concatenate([falling(30, 0.7, 0.01), 0.008 + 0.0015 * rng.standard_normal(n - 30)])
    train = np.concatenate([falling(30, 0.7, 0.03), 0.025 + 0.005 * rng.standard_normal(n - 30)])
    for spike in (84, 140, 220):
        val[spike:spike + 3] += [0.02, 0.01, 0.004]
        train[spike] += 0.01
    assert all(onset is None for onset in onsets(train.tolist(), np.abs(val).tolist()))


def test_slow_wander_at_a_floor_never_reports():
    # Validation loss drifting up and down over tens of epochs around a constant (a random walk pulled back).
    rng = np.random.default_rng(1)
    n, level = 300, 0.0
    wander = []
    for _ in range(n):
        level = 0.9 * level + 0.0007 * rng.standard_normal()
        wander.append(level)
    val = np.concatenate([falling(20, 0.6, 0.007), 0.007 + np.array(wander[20:]) + 0.0005 * rng.standard_normal(n - 20)])
    train = np.concatenate([falling(20, 0.6, 0.02), 0.02 + 0.003 * rng.standard_normal(n - 20)])
    assert all(onset is None for onset in onsets(train.tolist(), val.tolist()))


def test_validation_climbing_while_training_falls_reports_the_turn():
    rng = np.random.default_rng(2)
    n = 300
    val = np.concatenate([falling(15, 0.7, 0.2), np.linspace(0.2, 8.9, n - 15)]) * (1 + 0.05 * rng.standard_normal(n))
    train = falling(n, 0.7, 1e-4) * (1 + 0.05 * rng.standard_normal(n))
    found = onsets(train.tolist(), val.tolist())
    first = next(i for i, onset in enumerate(found) if onset is not None) + 1
    assert first <= 40  # within a few windows of the turn
    assert all(onset is not None for onset in found[first:])
    assert 10 <= found[-1] <= 20


def test_the_onset_is_the_middle_epoch_of_the_best_window():
    # Noise-free: validation loss falls to a floor of 0.3 reached at epoch 20, stays there to epoch 35, then climbs
    # 0.02 an epoch; training loss falls steadily throughout. The best (lowest) window is the first whose median is
    # the floor: epochs 18-22, the first with three epochs at it. Its middle, epoch 20, is the onset, and it stays
    # so as the climb goes on.
    epochs = np.arange(1, 61)
    val = np.where(epochs <= 20, 0.3 ** ((epochs - 1) / 19), 0.3 + 0.02 * np.maximum(epochs - 35, 0))
    train = 0.01 ** ((epochs - 1) / 59)
    found = onsets(train.tolist(), val.tolist())
    first = next(i for i, onset in enumerate(found) if onset is not None) + 1
    assert 36 < first <= 45  # a few epochs into the climb
    assert found[first - 1:] == [20] * (60 - first + 1)


def test_a_rise_that_training_loss_shares_is_not_overfitting():
    # Both losses climb (a learning rate too high): the model gets worse everywhere, it does not overfit.
    val = np.concatenate([falling(20, 0.7, 0.1), np.linspace(0.1, 2.0, 80)]).tolist()
    train = np.concatenate([falling(20, 0.7, 0.08), np.linspace(0.08, 1.8, 80)]).tolist()
    assert all(onset is None for onset in onsets(train, val))


def test_falling_losses_short_histories_and_no_validation():
    losses = falling(60, 1.0, 0.01).tolist()
    assert all(onset is None for onset in onsets(losses, losses))
    assert overfit_onset([1, 2, 3], [0.3, 0.2, 0.1], [0.1, 0.5, 0.9]) is None
    assert overfit_onset(list(range(1, 41)), losses[:40], [math.nan] * 40) is None  # no validation split


def test_epochs_without_validation_loss_are_left_out():
    rng = np.random.default_rng(3)
    val = np.concatenate([falling(10, 0.7, 0.2), np.linspace(0.2, 3.0, 50)]) * (1 + 0.02 * rng.standard_normal(60))
    train = falling(60, 0.7, 0.001)
    with_gaps = val.copy()
    with_gaps[::7] = math.nan
    assert overfit_onset(list(range(1, 61)), train.tolist(), with_gaps.tolist()) is not None


# real runs (a few seconds on a CPU) --------------------------------------------------------------


def run(dataset: str, samples: int, noise: float, epochs: int) -> Trainer:
    trainer = Trainer(make_config(dataset, samples=samples, noise=noise, epochs=epochs, layers=5, neurons=[32]))
    assert trainer.run().status == "completed"
    return trainer


def history_onsets(trainer: Trainer) -> list[int | None]:
    return onsets([m.train_loss for m in trainer.history], [m.val_loss for m in trainer.history])


def test_spiral_solved_with_five_relu_layers_does_not_report():
    # The false alarm: spiral, 5x32 ReLU, validation loss flat at its floor at 100% accuracy.
    trainer = run("spiral", 500, 0.1, 120)
    late = trainer.history[60:]
    assert np.median([m.val_acc for m in late]) == 1.0 and np.median([m.val_loss for m in late]) < 0.02  # the floor
    assert all(onset is None for onset in history_onsets(trainer))


def test_gauss_with_forty_noisy_samples_reports_overfitting():
    # The true alarm: gauss, 40 samples, noise 1: validation loss climbs from ~0.2 to several units.
    trainer = run("gauss", 40, 1.0, 100)
    val = [m.val_loss for m in trainer.history]
    assert val[-1] > 5 * min(val)
    found = history_onsets(trainer)
    first = next(i for i, onset in enumerate(found) if onset is not None) + 1
    assert first <= 60 and all(onset is not None for onset in found[first:])
    assert found[-1] <= 25  # it started early on
