"""Reading a run's metric history: the best epoch and the onset of overfitting."""

from __future__ import annotations

from collections.abc import Sequence

from tui_dl.engine.events import EpochMetrics

OVERFIT_PATIENCE = 5


def overfit_onset(history: Sequence[EpochMetrics], patience: int = OVERFIT_PATIENCE) -> int | None:
    """The epoch after which validation loss turned up while training loss kept falling, or None.

    Overfitting is reported when the best validation epoch lies at least `patience` epochs
    back, validation loss is now above that best, and training loss is now below its value
    at the best epoch.
    """
    scored = [m for m in history if m.val_loss is not None]
    if len(scored) <= patience:
        return None
    best = min(scored, key=lambda m: m.val_loss)
    last = scored[-1]
    if last.epoch - best.epoch < patience:
        return None
    if last.val_loss > best.val_loss * 1.01 and last.train_loss < best.train_loss:
        return best.epoch
    return None
