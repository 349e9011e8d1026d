"""A burst of events (a fast run, or a long run caught up with on attach) is drawn in one go: the work that
reads the whole history is done once per burst, not once per epoch."""

from __future__ import annotations

from pathlib import Path

import tui_dl.ui.widgets.charts as charts
from tui_dl.engine.config import RunConfig
from tui_dl.engine.events import EpochEnded, EpochMetrics, RunStarted
from tui_dl.ui.app import make_app
from tui_dl.ui.run_link import RunLink
from tui_dl.ui.widgets.training_view import TrainingView


class Burst(RunLink):
    """A run whose events all arrive at once."""

    def __init__(self, events):
        super().__init__()
        self.folder = Path("burst")
        self._events = list(events)

    def _take_events(self):
        taken, self._events = self._events, []
        return taken

    def want_insights(self, kinds, size):
        pass

    def leave(self, reason, timeout):
        return None


def overfitting_run(epochs: int) -> list:
    """A start, then epochs whose training loss falls while validation loss turns up after a third of them."""
    started = RunStarted(RunConfig(), "cpu", "classification", "2 -> 2", 6, 100, 20, 1, 0)
    ended = []
    for e in range(1, epochs + 1):
        val = 1.0 / e if e < epochs // 3 else 0.01 * e
        ended.append(EpochEnded(EpochMetrics(e, e, 1.0 / e, val, 0.01, 1000.0, 0.01), min(e, epochs // 3 - 1), val))
    return [started, *ended]


async def test_a_burst_of_epochs_works_out_the_overfitting_marker_once(monkeypatch):
    calls = []
    real = charts.overfit_onset
    monkeypatch.setattr(charts, "overfit_onset", lambda *a: calls.append(1) or real(*a))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.shown.link = Burst(overfitting_run(600))
        app.controller.drain()
        await pilot.pause()
        line = str(app.query_one(TrainingView).metrics_line.render())
        assert len(calls) <= 2  # the line and the chart's title share one result; not one per epoch (600)
        assert line.startswith("epoch 600") and "overfitting since epoch" in line
