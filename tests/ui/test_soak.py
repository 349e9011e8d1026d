"""Soak: 10,000 short epochs with the UI running headless; memory stays flat and the charts stay fast."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from helpers import SIZE, wait_for
from tui_dl.engine.config import RunConfig
from tui_dl.ui.app import make_app
from tui_dl.ui.widgets.training_view import TrainingView

EPOCHS = 10_000


def rss_mb() -> float:
    """Resident memory of this process in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def chart_ms(view: TrainingView) -> float:
    """Median of 7 redraws, so one pause of the shared machine does not decide the figure."""
    times = []
    for _ in range(7):
        started = time.perf_counter()
        view.redraw()
        view.loss_chart.render()
        view.metric_chart.render()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


@pytest.mark.slow
async def test_ten_thousand_epochs_keep_memory_flat_and_charts_fast(tmp_path: Path):
    config = RunConfig()
    config.data.samples, config.data.val_split = 20, 0.2
    config.model.neurons = [4]
    config.train.epochs, config.train.batch_size, config.train.device = EPOCHS, 16, "cpu"
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        view = app.query_one(TrainingView)
        await wait_for(pilot, lambda: len(view.curves.epochs) >= 1_000, timeout=120)
        start_rss, start_chart = rss_mb(), chart_ms(view)
        await wait_for(pilot, lambda: app.shown.run_state == "completed", timeout=600)
        end_rss, end_chart = rss_mb(), chart_ms(view)
    print(f"\nsoak {EPOCHS:,} epochs: RSS {start_rss:.1f} -> {end_rss:.1f} MiB; "
          f"chart redraw {start_chart:.1f} -> {end_chart:.1f} ms")
    assert len(view.curves.epochs) == EPOCHS
    assert end_rss - start_rss < 40
    assert end_chart < max(3 * start_chart, 50)
