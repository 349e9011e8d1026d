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
    from tui_dl.engine.runs import recorder as runs
    from tui_dl.engine.training.trainer import Trainer

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


def _probe_seconds(config, probe: str, size: tuple[int, int]) -> tuple[list[float], float]:
    """Seconds of each probe of `probe` during one run of `config`, and the run's wall time."""
    from tui_dl.engine.training.trainer import Trainer

    trainer = Trainer(config)
    compute, spent = trainer.insights, []

    def timed(kinds):
        started = time.perf_counter()
        result = compute(kinds)
        spent.append(time.perf_counter() - started)
        return result

    trainer.insights = timed
    trainer.probes, trainer.probe_size = frozenset({probe}), size
    started = time.perf_counter()
    trainer.run()
    return spent, time.perf_counter() - started


def _probe_line(what: str, spent: list[float], wall: float) -> str:
    return (f"{what}: {len(spent)} probes, {1e3 * sum(spent) / len(spent):.1f} ms each "
            f"(most {1e3 * max(spent):.1f}), {100 * sum(spent) / wall:.1f}% of the run")


def probe_cost(kind: str, probe: str, val_split: float) -> str:
    """Time the trainer spends computing an insight view during one run."""
    w = mnist_like(256, 60_000) if kind == "mnist" else spiral_like(32, 20_000)
    with loops.registered(w, *make_data(w)):
        config = loops.engine_config(w, torch.device("cpu"), epochs=6)
        config.data.val_split = val_split
        spent, wall = _probe_seconds(config, probe, (118, 68))
    return _probe_line(f"{probe} probe, {w.name}, validation split {val_split}", spent, wall)


def builtin(dataset: str, samples: int, layers: int, neurons: int, activation: str = "relu", epochs: int = 6,
            window: int = 7, optimizer: str = "sgd"):
    """A CPU run config on a built-in data set."""
    from tui_dl.engine.config import RunConfig

    config = RunConfig()
    config.data.dataset, config.data.samples, config.data.window = dataset, samples, window
    config.model.layers, config.model.neurons, config.model.activation = layers, [neurons], activation
    config.train.epochs, config.train.optimizer, config.train.device = epochs, optimizer, "cpu"
    return config


def view_cost(what: str, config, probe: str, size: tuple[int, int] = (118, 68)) -> str:
    """Time the trainer spends computing one of the ideas' views during one run of `config`."""
    spent, wall = _probe_seconds(config, probe, size)
    return _probe_line(f"{probe} probe, {what}", spent, wall)


def mnist_landscape_cost() -> str:
    w = mnist_like(256, 60_000)
    with loops.registered(w, *make_data(w)):
        spent, wall = _probe_seconds(loops.engine_config(w, torch.device("cpu"), epochs=6), "landscape", (118, 68))
    return _probe_line(f"landscape probe, {w.name}", spent, wall)


def trajectory_cost(what: str, config) -> str:
    """CPU time of recording the landscape's path (Trajectory.after_step / after_epoch) during one run."""
    from tui_dl.engine.insights import trajectory
    from tui_dl.engine.training.trainer import Trainer

    spent = [0.0]
    step, epoch = trajectory.Trajectory.after_step, trajectory.Trajectory.after_epoch

    def timed(method):
        def wrapper(self):
            started = time.thread_time()
            method(self)
            spent[0] += time.thread_time() - started
        return wrapper

    trajectory.Trajectory.after_step, trajectory.Trajectory.after_epoch = timed(step), timed(epoch)
    try:
        trainer = Trainer(config)
        started = time.perf_counter()
        trainer.run()
        wall = time.perf_counter() - started
    finally:
        trajectory.Trajectory.after_step, trajectory.Trajectory.after_epoch = step, epoch
    return (f"recording the path, {what}: {spent[0] * 1e3:.1f} ms of a {wall:.2f} s run "
            f"({100 * spent[0] / wall:.2f}%, {trainer.trajectory.count} records kept)")


def boundary_draw_cost() -> str:
    """Time to turn a 118x70 decision boundary into the strips the view draws."""
    from textual.strip import Strip

    from tui_dl.engine.insights.views import Boundary
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


def ideas_draw_cost() -> str:
    """Time to build the strips of a 118x68 landscape with a 4,096-point path, and of neuron maps of 3 x 32 neurons."""
    from textual.strip import Strip

    from tui_dl.engine.insights.views import Boundary, Landscape, NeuronMaps
    from tui_dl.ui.widgets.insights.landscape import landscape_lines
    from tui_dl.ui.widgets.insights.neurons import neuron_lines

    gx, gy = np.meshgrid(np.linspace(-1, 1, 118), np.linspace(1, -1, 68))
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 4096)
    path = np.stack([np.cos(40 * t) * (1 - t), np.sin(40 * t) * (1 - t)], 1) + rng.normal(0, 0.02, (4096, 2))
    land = Landscape("line", (-1, 1), (-1, 1), 0.5 + gx ** 2 + gy ** 2, path, 0.5, (0.0, 0.0), (0.0, 0.0), 800, 800,
                     2, "MSE", 4095, (118, 68))
    grid = rng.uniform(-1, 1, (32, 38, 38))
    output = Boundary((-1, 1), (-1, 1), (grid[0] > 0).astype(np.int64), np.full((38, 38), 0.8),
                      rng.uniform(-1, 1, (600, 2)), rng.integers(0, 2, 600), ["a", "b"], ["x1", "x2"])
    maps = NeuronMaps((-1, 1), (-1, 1), [grid] * 3, [list(range(1, 33))] * 3, [32] * 3, "relu", output)
    timings = []
    for draw in (lambda: landscape_lines(land, 118, 34, (24, 24, 28)),
                 lambda: neuron_lines(maps, 118, 34, (24, 24, 28))[0]):
        started = time.perf_counter()
        for _ in range(10):
            strips = [Strip(segments) for segments in draw()]
        timings.append((time.perf_counter() - started) / 10 * 1e3)
    return (f"drawing the landscape (118x34 cells, 4,096-point path): {timings[0]:.1f} ms per update; "
            f"neuron maps (3 x 32 neurons, 118x34): {timings[1]:.1f} ms per update ({len(strips)} lines)")


def main() -> None:
    line = builtin("daily-views", 20_000, 0, 1, window=1, epochs=30)  # runs of a few seconds: the first and the
    sine = builtin("sine", 20_000, 1, 30, "sigmoid", epochs=30)  # final probe are always taken
    lines = (
        lambda: recording_cost("spiral"), lambda: recording_cost("mnist"),
        lambda: probe_cost("spiral", "boundary", 0.2), lambda: probe_cost("mnist", "confusion", 0.0),
        lambda: probe_cost("mnist", "confusion", 0.2), boundary_draw_cost, ideas_draw_cost,
        lambda: trajectory_cost("y = b + w x on daily-views, every step", line),
        lambda: trajectory_cost("spiral 2-16-16-2, every epoch", builtin("spiral", 20_000, 2, 16)),
        lambda: view_cost("y = b + w x on daily-views (window 1)", line, "landscape"),
        lambda: view_cost("spiral 2-16-16-2 (PCA slice)", builtin("spiral", 20_000, 2, 16), "landscape"),
        lambda: view_cost("spiral 2-32-32-32-2 (PCA slice)", builtin("spiral", 20_000, 3, 32), "landscape"),
        mnist_landscape_cost,
        lambda: view_cost("sine, 30 sigmoid neurons", sine, "pieces"),
        lambda: view_cost("spiral 2-32-32-32-2, 38x38 grid", builtin("spiral", 20_000, 3, 32), "neurons", (38, 38)),
    )
    for measure in lines:
        print(measure(), flush=True)


if __name__ == "__main__":
    main()
