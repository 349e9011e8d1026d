"""The training variants compared: the classic tutorial loop, a hand-tight loop, and the tui-dl engine.

Each `measure_*` function sets up, trains one warm-up epoch, then times TIMED_EPOCHS epochs and
returns training samples per second of the median epoch.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from benchmarks.workload import Workload, make_model, seeded

TIMED_EPOCHS = 3


def _median_rate(samples: int, epoch, device: torch.device) -> float:
    epoch()
    times = []
    for _ in range(TIMED_EPOCHS):
        _sync(device)
        started = time.perf_counter()
        epoch()
        _sync(device)
        times.append(time.perf_counter() - started)
    return samples / statistics.median(times)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class _PerSample(Dataset):
    """The tutorial Dataset: one Python call per sample."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.x[i], self.y[i]


def measure_seed_loop(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """Dataset + DataLoader(shuffle=True) + `.item()` every step, as in the tutorials."""
    seeded()
    model = make_model(w).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=w.lr)
    loader = DataLoader(_PerSample(x, y), batch_size=w.batch_size, shuffle=True)

    def epoch() -> None:
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()

    return _median_rate(len(y), epoch, device)


def measure_tight_loop(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """Data on the device, device-side randperm, slicing, losses read once per epoch."""
    seeded()
    model = make_model(w).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=w.lr)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    n, batch = len(yt), w.batch_size

    def epoch() -> float:
        order = torch.randperm(n, device=device)
        losses = []
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return torch.stack(losses).mean().item()

    return _median_rate(n, epoch, device)


BENCH_DATASET = "benchmark"


@contextmanager
def registered(w: Workload, x: np.ndarray, y: np.ndarray):
    """Register the workload's arrays as a data set, so the engine loads and prepares them itself,
    on its own thread, as it does for any data set."""
    from tui_dl.engine.data.rawdata import RawData
    from tui_dl.engine.data.registry import REGISTRY, DatasetSpec

    raw = RawData(w.name, "classification", x, y, [f"x{i}" for i in range(w.features)],
                  [str(c) for c in range(w.classes)], "benchmark")
    REGISTRY[BENCH_DATASET] = DatasetSpec(BENCH_DATASET, "classification", w.name, "benchmark", (), lambda cfg: raw)
    try:
        yield
    finally:
        del REGISTRY[BENCH_DATASET]


def engine_config(w: Workload, device: torch.device, epochs: int):
    from tui_dl.engine.config import RunConfig

    config = RunConfig()
    config.data.dataset, config.data.val_split = BENCH_DATASET, 0.0
    config.model.layers, config.model.neurons = len(w.hidden), list(w.hidden)
    config.train.optimizer, config.train.lr, config.train.momentum = "sgd", w.lr, 0.0
    config.train.batch_size, config.train.epochs, config.train.device = w.batch_size, epochs, str(device)
    return config


def _engine_rate(samples: int, history) -> float:
    return samples / statistics.median(m.seconds for m in history[1:])


def measure_engine(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """tui-dl's Trainer, headless: wall time of each epoch (training and the epoch-end metrics)."""
    from tui_dl.engine.training.trainer import Trainer

    with registered(w, x, y):
        trainer = Trainer(engine_config(w, device, epochs=1 + TIMED_EPOCHS))
        trainer.run()
    return _engine_rate(len(y), trainer.history)


def measure_engine_recorded(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """The Trainer with its run recorded (metrics JSONL, best/last checkpoints, summary), as `tui-dl train` runs."""
    from tui_dl.engine.runs.recorder import RunRecorder
    from tui_dl.engine.training.trainer import Trainer

    with registered(w, x, y), tempfile.TemporaryDirectory() as runs:
        trainer = Trainer(engine_config(w, device, epochs=1 + TIMED_EPOCHS))
        RunRecorder(trainer, Path(runs))
        trainer.run()
    return _engine_rate(len(y), trainer.history)


def measure_engine_in_ui(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """The same Trainer started with F5 in the running Textual app (Training tab, charts live), under `run_test`."""
    return _run_in_ui(w, x, y, device, ())


def measure_engine_in_ui_insights(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """As `engine + UI`, watching the Insights tab: the decision boundary (2-D sets) or the confusion matrix."""
    return _run_in_ui(w, x, y, device, ("f9", "1" if w.features == 2 else "3"))


def _run_in_ui(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device, keys: tuple[str, ...]) -> float:
    import asyncio

    from tui_dl.ui.app import make_app

    async def drive(runs: Path) -> float:
        app = make_app(engine_config(w, device, epochs=1 + TIMED_EPOCHS), runs_root=runs)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("f5", *keys)
            while app.shown.run_state not in ("completed", "failed", "diverged"):
                await asyncio.sleep(0.5)  # not pilot.pause(), which forces a screen refresh each call
            if app.shown.run_state != "completed":
                raise RuntimeError(f"the UI run ended {app.shown.run_state}")
            return _engine_rate(len(y), app.shown.link.session.trainer.history)

    with registered(w, x, y), tempfile.TemporaryDirectory() as runs:
        return asyncio.run(drive(Path(runs)))


def measure_lightning(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float | None:
    """PyTorch Lightning's Trainer on the same model and data (None when Lightning is not installed)."""
    try:
        import lightning.pytorch as pl
    except ImportError:
        try:
            import pytorch_lightning as pl
        except ImportError:
            return None
    from torch.utils.data import TensorDataset

    seeded()

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = make_model(w)

        def training_step(self, batch, _):
            xb, yb = batch
            return nn.functional.cross_entropy(self.model(xb), yb)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=w.lr)

    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=w.batch_size, shuffle=True)
    times: list[float] = []

    class Timer(pl.Callback):
        def on_train_epoch_start(self, *_):
            _sync(device)
            times.append(time.perf_counter())

        def on_train_epoch_end(self, *_):
            _sync(device)
            times[-1] = time.perf_counter() - times[-1]

    trainer = pl.Trainer(max_epochs=1 + TIMED_EPOCHS, accelerator="gpu" if device.type == "cuda" else "cpu", devices=1,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[Timer()])
    trainer.fit(Module(), loader)
    return len(y) / statistics.median(times[1:])
