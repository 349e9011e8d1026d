"""Runs in their own processes: throughput against a foreground run, with a UI attached, side by side, and
the time to attach to a long run.

    .venv/bin/python -m benchmarks.detached [--rounds 3]

Every variant trains spiral (20,000 samples, batch 32, 2-16-16-2) in fresh processes; its figure is the
median training throughput (samples/s) of its epochs after the first two, read from the run's metrics.jsonl.
The variants are alternated inside each round (A B C D, A B C D, ...) so the machine's noise spreads evenly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPIRAL = ["--dataset", "spiral", "--samples", "20000", "--batch-size", "32", "--layers", "2", "--neurons", "16",
          "--device", "cpu"]
EPOCHS = 10  # per measured run: 2 warm-up epochs, 8 measured


def _env(runs: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TUI_DL_THREADS", "OMP_NUM_THREADS")}
    return {**env, "PYTHONPATH": str(REPO), "TUI_DL_RUNS_DIR": str(runs)}


def _tui_dl(*argv: str, runs: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_dl", *argv], env=_env(runs), capture_output=True, text=True,
                          **kwargs)


def _speed(folder: Path) -> float:
    from tui_dl.engine.runs.listing import read_metrics

    rates = [r["samples_per_s"] for r in read_metrics(folder)[2:]]
    return statistics.median(rates) if rates else float("nan")


def _wait_done(folder: Path, timeout: float = 600.0) -> None:
    from tui_dl.engine.runs.listing import read_summary

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not read_summary(folder).live:
                return
        except Exception:  # noqa: BLE001 - not written yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{folder.name} did not finish")


def foreground(runs: Path, name: str) -> float:
    done = _tui_dl("train", *SPIRAL, "--epochs", str(EPOCHS), "--run-name", name, runs=runs)
    assert done.returncode == 0, done.stderr
    return _speed(runs / name)


def detached(runs: Path, name: str, *, ui: bool = False) -> float:
    done = _tui_dl("train", *SPIRAL, "--epochs", str(EPOCHS), "--run-name", name, "--detach", runs=runs)
    assert done.returncode == 0, done.stderr
    viewer = _attach_ui(runs, name) if ui else None
    try:
        _wait_done(runs / name)
    finally:
        if viewer is not None:
            viewer.kill()
    return _speed(runs / name)


def _attach_ui(runs: Path, name: str):
    """`tui-dl attach NAME` drawing the live charts in a 120x40 pseudo-terminal (its output read and dropped)."""
    sys.path.insert(0, str(REPO / "tests"))
    from pty_ui import PtyUI

    ui = PtyUI("attach", name, cwd=runs, env={**_env(runs), "XDG_CONFIG_HOME": str(runs / "config")})
    ui.wait_for("Data (F2)", timeout=60)
    return ui


def side_by_side(runs: Path, prefix: str) -> tuple[float, float]:
    """Two detached runs started together, each sharing the cores with the other."""
    names = [f"{prefix}-a", f"{prefix}-b"]
    for name in names:
        done = _tui_dl("train", *SPIRAL, "--epochs", str(EPOCHS), "--run-name", name, "--detach", runs=runs)
        assert done.returncode == 0, done.stderr
    for name in names:
        _wait_done(runs / name)
    return _speed(runs / names[0]), _speed(runs / names[1])


def attach_time(runs: Path, epochs: int = 10_000, steps: int = 1_000_000) -> dict[str, float]:
    """Attaching to a live run with `epochs` epochs and `steps` step losses behind it (it goes on training a
    small data set at full speed meanwhile): seconds from the request to the frame that shows all of them,
    from a UI already up (the Runs tab's `a`) and from a UI started attached (`tui-dl attach`), with the time
    that UI took to be up."""
    import numpy as np
    import torch

    from tui_dl.engine.runs.listing import read_metrics
    from tui_dl.engine.training.checkpoint import load_checkpoint, save_checkpoint

    done = _tui_dl("train", "--dataset", "circle", "--samples", "100", "--epochs", "1", "--device", "cpu",
                   "--run-name", "seed", runs=runs)
    assert done.returncode == 0, done.stderr
    state = load_checkpoint(runs / "seed" / "last.pt")
    one = state["history"][0]
    per_epoch = steps // epochs
    state["history"] = [{**one, "epoch": e, "step": e * per_epoch} for e in range(1, epochs + 1)]
    state["step_losses"] = torch.from_numpy(np.linspace(1.0, 0.01, steps, dtype=np.float32))
    state["epoch"], state["step"] = epochs, epochs * per_epoch
    state["config"]["train"]["epochs"] = epochs + 100_000
    save_checkpoint(state, runs / "long.pt")
    done = _tui_dl("train", "--resume", str(runs / "long.pt"), "--epochs", str(epochs + 100_000), "--run-name",
                   "long", "--detach", runs=runs)
    assert done.returncode == 0, done.stderr
    folder = runs / "long"
    try:
        assert len(read_metrics(folder)) >= epochs
        from_runs_tab = asyncio.run(_time_attach(folder, epochs, at_mount=False))
        at_start = asyncio.run(_time_attach(folder, epochs, at_mount=True))
        return {"from a UI that is up": from_runs_tab["shown"], "started attached": at_start["shown"],
                "its UI up": at_start["up"]}
    finally:
        _tui_dl("stop", "long", runs=runs)
        _wait_done(folder)


async def _time_attach(folder: Path, epochs: int, at_mount: bool) -> dict[str, float]:
    """Seconds from the attach request (at mount, or once the app is up) to the loss chart's first render
    with all `epochs` epochs, and from starting the app until it is up."""
    from tui_dl.ui.app import make_app
    from tui_dl.ui.widgets.training_view import TrainingView

    app = make_app(runs_root=folder.parent, detach=True, attach=folder if at_mount else None)
    app.system.detect = lambda: None
    marks: dict[str, float] = {}
    attach = app.controller.attach

    def timed_attach(where: Path) -> None:
        marks.setdefault("attach", time.perf_counter())
        attach(where)

    app.controller.attach = timed_attach
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        marks["up"] = time.perf_counter()
        chart = app.query_one(TrainingView).loss_chart
        render = chart.render

        def timed_render():
            rendered = render()
            if "shown" not in marks and len(app.query_one(TrainingView).curves.epochs) >= epochs:
                marks["shown"] = time.perf_counter()
            return rendered

        chart.render = timed_render
        if not at_mount:
            app.controller.attach(folder)
        while "shown" not in marks:
            await pilot.pause(0.01)
    return {"up": marks["up"] - started, "shown": marks["shown"] - marks["attach"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs = Path(tempfile.mkdtemp(prefix="tui-dl-bench-"))
    figures: dict[str, list[float]] = {"foreground": [], "detached": [], "detached + UI": [], "two at once, each": []}
    try:
        for round_ in range(args.rounds):
            figures["foreground"].append(foreground(runs, f"fg{round_}"))
            figures["detached"].append(detached(runs, f"dt{round_}"))
            figures["detached + UI"].append(detached(runs, f"ui{round_}", ui=True))
            figures["two at once, each"].extend(side_by_side(runs, f"two{round_}"))
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in figures.items()), flush=True)
        medians = {k: statistics.median(v) for k, v in figures.items()}
        lone = medians["foreground"]
        print("\nspiral 20,000 samples, batch 32, samples/s (median of rounds):")
        for name, value in medians.items():
            print(f"  {name:<18} {value:>9,.0f}   {value / lone:.2f}x of the foreground run")
        attach = attach_time(runs)
        print("\nattaching to 10,000 epochs and 1e6 step losses, seconds to the full chart: "
              + ", ".join(f"{k} {v:.2f}" for k, v in attach.items()))
        print(json.dumps({k: [round(x) for x in v] for k, v in figures.items()}))
    finally:
        shutil.rmtree(runs, ignore_errors=True)


if __name__ == "__main__":
    main()
