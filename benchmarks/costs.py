"""What run recording and the insight views cost, as CPU time inside real training runs.

Throughput ratios of a few percent drown in a shared machine's noise; the time spent in each feature does not.

    .venv/bin/python -m benchmarks.costs
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks import loops
from benchmarks.workload import make_data, mnist_like, spiral_like


def recording_cost(kind: str) -> str:
    """CPU time of the recorder on the training thread and of its writer thread during one run."""
    from tui_dl.engine import runs
    from tui_dl.engine.trainer import Trainer

    spent = {"writer": 0.0, "training thread": 0.0}

    def timed(method, where):
        def wrapper(self, *args):
            started = time.thread_time()
            method(self, *args)
            spent[where] += time.thread_time() - started
        return wrapper

    write, epoch = runs._Writer._write, runs.RunRecorder._epoch
    runs._Writer._write, runs.RunRecorder._epoch = timed(write, "writer"), timed(epoch, "training thread")
    try:
        w = mnist_like(256, 60_000) if kind == "mnist" else spiral_like(32, 20_000)
        with loops.registered(w, *make_data(w)), tempfile.TemporaryDirectory() as folder:
            trainer = Trainer(loops.engine_config(w, torch.device("cpu"), epochs=8))
            runs.RunRecorder(trainer, Path(folder))
            started = time.perf_counter()
            trainer.run()
            wall = time.perf_counter() - started
    finally:
        runs._Writer._write, runs.RunRecorder._epoch = write, epoch
    return (f"recording, {w.name}: {wall:.1f} s run; training thread {spent['training thread'] * 1e3:.1f} ms "
            f"({100 * spent['training thread'] / wall:.2f}%); writer {spent['writer'] * 1e3:.0f} ms "
            f"({100 * spent['writer'] / wall:.2f}% of a core)")


def probe_cost(kind: str, probe: str, val_split: float) -> str:
    """Time the trainer spends computing an insight view during one run."""
    from tui_dl.engine.trainer import Trainer

    w = mnist_like(256, 60_000) if kind == "mnist" else spiral_like(32, 20_000)
    with loops.registered(w, *make_data(w)):
        config = loops.engine_config(w, torch.device("cpu"), epochs=6)
        config.data.val_split = val_split
        trainer = Trainer(config)
        compute, spent = trainer.insights, []

        def timed(kinds):
            started = time.perf_counter()
            result = compute(kinds)
            spent.append(time.perf_counter() - started)
            return result

        trainer.insights = timed
        trainer.probes, trainer.probe_size = frozenset({probe}), (118, 68)
        started = time.perf_counter()
        trainer.run()
        wall = time.perf_counter() - started
    return (f"{probe} probe, {w.name}, validation split {val_split}: {len(spent)} probes, "
            f"{1e3 * sum(spent) / len(spent):.1f} ms each, {100 * sum(spent) / wall:.1f}% of the run")


def boundary_draw_cost() -> str:
    """Time to turn a 118x70 decision boundary into the strips the view draws."""
    from textual.strip import Strip

    from tui_dl.engine.insight_data import Boundary
    from tui_dl.ui.widgets.insights.plane import boundary_lines

    gx, gy = np.meshgrid(np.linspace(-1, 1, 118), np.linspace(1, -1, 70))
    radius = np.hypot(gx, gy)
    rng = np.random.default_rng(0)
    boundary = Boundary((-1, 1), (-1, 1), (radius > 0.6).astype(np.int64),
                        0.5 + 0.5 * np.clip(np.abs(radius - 0.6) * 3, 0, 1), rng.uniform(-1, 1, (600, 2)),
                        rng.integers(0, 2, 600), ["a", "b"], ["x1", "x2"])
    started = time.perf_counter()
    for _ in range(10):
        strips = [Strip(segments) for segments in boundary_lines(boundary, 118, 35, (24, 24, 28))]
    each = (time.perf_counter() - started) / 10
    return f"decision boundary view, 118x35 cells: {each * 1e3:.1f} ms per update, {len(strips)} lines"


def main() -> None:
    for line in (recording_cost("spiral"), recording_cost("mnist"), probe_cost("spiral", "boundary", 0.2),
                 probe_cost("mnist", "confusion", 0.0), probe_cost("mnist", "confusion", 0.2), boundary_draw_cost()):
        print(line, flush=True)


if __name__ == "__main__":
    main()
