"""Insight views of a model that is not training: a loaded checkpoint, or a run that has ended.

A trainer is built from the checkpoint on the UI thread and set up on a worker thread on first use (that is
where torch is imported); showing the tab and the boundary view's resize can ask twice at once, so a lock
makes the second request wait for the first's setup instead of repeating it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tui_dl.engine.errors import UserError


class Inspector:
    """Computes insight views of a trainer's model in a thread; results go to `deliver`, problems to `complain`."""

    def __init__(self, trainer, deliver: Callable[[int, dict], None], complain: Callable[[str], None]):
        self.trainer, self.deliver, self.complain = trainer, deliver, complain
        self._lock = threading.Lock()

    @classmethod
    def of_checkpoint(cls, state: dict, deliver, complain) -> Inspector:
        """For a checkpoint's model, on the CPU: the UI never holds GPU memory for a run."""
        from tui_dl.engine.training.checkpoint import checkpoint_config
        from tui_dl.engine.training.trainer import Trainer

        config = checkpoint_config(state)
        config.train.device = "cpu"
        return cls(Trainer(config, resume=state), deliver, complain)

    def request(self, kinds: frozenset[str], size: tuple[int, int]) -> None:
        threading.Thread(target=self._compute, args=(kinds, size), name="tui-dl inspector", daemon=True).start()

    def _compute(self, kinds: frozenset[str], size: tuple[int, int]) -> None:
        try:
            with self._lock:
                if self.trainer.model is None:
                    self.trainer.setup()
                self.trainer.probe_size = size
                insights = self.trainer.insights(kinds)
        except Exception as exc:  # noqa: BLE001 - a view that cannot be drawn is reported, not raised
            self.complain(str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}")
            return
        self.deliver(self.trainer.epoch, insights)
