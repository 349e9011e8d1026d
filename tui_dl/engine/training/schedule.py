"""Learning-rate schedules: a pure function of the epoch, the batch and the base rate, plus reduce-on-plateau's state.

Nothing here imports torch. The trainer asks for each batch's rate; F8 changes the base rate and the schedule
goes on scaling the new one from where it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from tui_dl.engine.config import TrainConfig

PLATEAU_THRESHOLD = 1e-4  # an epoch improves on the best loss when it is lower by more than this share


@dataclass
class Plateau:
    """What reduce-on-plateau remembers between epochs (kept in checkpoints, so a resumed run goes on)."""

    best: float | None = None
    bad_epochs: int = 0  # epochs since the best one
    reductions: int = 0  # times the rate was multiplied by the decay factor

    def observe(self, epoch: int, loss: float, train: TrainConfig) -> None:
        """Count finished epoch `epoch` (from 1) with its watched loss (validation, else training).

        After `decay_epochs` epochs without improvement the rate is reduced once more and the count starts
        again. Warm-up epochs are not counted; nothing changes for other schedules.
        """
        if train.schedule != "plateau" or epoch <= train.warmup:
            return
        if self.best is None or loss < self.best - abs(self.best) * PLATEAU_THRESHOLD:
            self.best, self.bad_epochs = loss, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= train.decay_epochs:
            self.reductions, self.bad_epochs = self.reductions + 1, 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Plateau:
        """From `to_dict`'s output; a checkpoint without one (older, or another schedule) starts afresh."""
        return cls(**{k: v for k, v in data.items() if k in ("best", "bad_epochs", "reductions")})


def learning_rate(base: float, epoch: int, step: int, steps_per_epoch: int, train: TrainConfig,
                  plateau: Plateau) -> float:
    """The rate of batch `step` (from 0) of the epoch after `epoch` finished ones: `base` times the schedule's share.

    Warm-up rises linearly over the first `warmup` epochs, batch by batch, reaching `base` at its end. After it:
    constant `base`; step decay `base * decay_factor ** (epochs since warm-up // decay_epochs)`; cosine from
    `base` towards 0 over the run's remaining epochs (`train.epochs`), batch by batch; plateau
    `base * decay_factor ** reductions`.
    """
    spe = max(steps_per_epoch, 1)
    if epoch < train.warmup:
        return base * (epoch * spe + step + 1) / (train.warmup * spe)
    since = epoch - train.warmup
    if train.schedule == "step":
        return base * train.decay_factor ** (since // train.decay_epochs)
    if train.schedule == "cosine":
        span = max(train.epochs - train.warmup, 1)
        return base * 0.5 * (1 + math.cos(math.pi * min((since + step / spe) / span, 1.0)))
    if train.schedule == "plateau":
        return base * train.decay_factor ** plateau.reductions
    return base
