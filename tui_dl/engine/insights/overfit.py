"""Reading a run's metric history: the onset of overfitting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

OVERFIT_WINDOW = 5  # epochs per compared median
OVERFIT_MARGIN = 0.05  # the least relative rise of validation loss that counts
OVERFIT_Z = 3.0  # how many noise spreads a change must exceed to count


def overfit_onset(epochs: Sequence[float], train_loss: Sequence[float], val_loss: Sequence[float],
                  window: int = OVERFIT_WINDOW, margin: float = OVERFIT_MARGIN, z: float = OVERFIT_Z) -> int | None:
    """The epoch after which validation loss rose while training loss kept falling, or None.

    The rule compares medians over `window` consecutive epochs (epochs without a validation loss, NaN,
    are left out): the best window, where validation loss is lowest, against the last window. It
    reports the best window's middle epoch when the best window began at least `3 * window - 1`
    epochs before the end and

    - validation loss rose: the last median exceeds the best by more than `margin` of it and by more
      than `z` noise spreads, and
    - training loss fell: its last median is below its median over the best window by more than `z`
      noise spreads.

    A loss's noise spread is measured since the best window, robustly (median absolute deviations, so a
    steady trend or a few spikes are not noise), as the larger of the spread expected from its
    epoch-to-epoch steps and the spread of differences between medians `window` epochs apart (slow
    wander). So noise around a flat floor, at any scale, does not report, nor does a rise that
    training loss shares. Cost: a few numpy passes over the history, no Python loop over epochs.
    """
    val = np.asarray(val_loss, dtype=np.float64)
    scored = ~np.isnan(val)
    val, train = val[scored], np.asarray(train_loss, dtype=np.float64)[scored]
    if len(val) < 2 * window:
        return None
    val_medians, train_medians = _medians(val, window), _medians(train, window)
    best = int(np.argmin(val_medians))
    rise = val_medians[-1] - val_medians[best]
    fall = train_medians[best] - train_medians[-1]
    if rise > max(margin * val_medians[best], z * _spread(val[best:], val_medians[best:], window)) and \
            fall > z * _spread(train[best:], train_medians[best:], window):
        return int(np.asarray(epochs, dtype=np.float64)[scored][best + window // 2])
    return None


def _medians(values: np.ndarray, window: int) -> np.ndarray:
    """The median of each run of `window` consecutive values."""
    return np.median(np.lib.stride_tricks.sliding_window_view(values, window), axis=1)


def _spread(values: np.ndarray, medians: np.ndarray, window: int) -> float:
    """The noise spread of a difference of two window medians (infinite until `2 * window` medians exist)."""
    steps, wander = np.diff(values), medians[window:] - medians[:-window]
    if len(wander) < window:
        return np.inf
    step_mad, wander_mad = (1.4826 * float(np.median(np.abs(d - np.median(d)))) for d in (steps, wander))
    # A median of `window` values varies about 1.25 / sqrt(window) as much as one value; a step is a
    # difference of two values, as a difference of two medians is.
    return max(1.2533 * step_mad / np.sqrt(window), wander_mad)
