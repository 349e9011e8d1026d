"""Reading a run's metric history: the best epoch and the onset of overfitting."""

from __future__ import annotations

from collections.abc import Sequence

from tui_dl.engine.events import EpochMetrics

OVERFIT_PATIENCE = 5
OVERFIT_MARGIN = 0.05


def overfit_onset(history: Sequence[EpochMetrics], patience: int = OVERFIT_PATIENCE,
                  margin: float = OVERFIT_MARGIN) -> int | None:
    """The epoch after which validation loss turned up while training loss kept falling, or None.

    Reported when the best validation epoch lies at least `patience` epochs back, the mean
    validation loss of the last `patience` epochs is more than `margin` (relative) above that
    best, and their mean training loss is below the training loss at the best epoch.
    """
    scored = [m for m in history if m.val_loss is not None]
    if len(scored) <= patience:
        return None
    best = min(scored, key=lambda m: m.val_loss)
    recent = scored[-patience:]
    if recent[0].epoch <= best.epoch:
        return None
    val = sum(m.val_loss for m in recent) / patience
    train = sum(m.train_loss for m in recent) / patience
    if val > best.val_loss * (1 + margin) and train < best.train_loss:
        return best.epoch
    return None
