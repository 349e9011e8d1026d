"""The training variants compared: the classic tutorial loop, a hand-tight loop, and the tui-dl engine.

Each `measure_*` function sets up, trains one warm-up epoch, then times one epoch and returns
training samples per second.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from benchmarks.workload import Workload, make_model, seeded


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

    epoch()
    started = time.perf_counter()
    epoch()
    return len(y) / (time.perf_counter() - started)


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

    epoch()
    _sync(device)
    started = time.perf_counter()
    epoch()
    return n / (time.perf_counter() - started)


def engine_data(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device):
    """The workload as the engine's prepared data (no validation split: training is what is timed)."""
    from tui_dl.engine.config import DataConfig
    from tui_dl.engine.prepare import prepare
    from tui_dl.engine.rawdata import RawData

    raw = RawData(w.name, "classification", x, y, [f"x{i}" for i in range(w.features)],
                  [str(c) for c in range(w.classes)], "benchmark")
    return prepare(raw, DataConfig(dataset="benchmark", val_split=0.0), device)


def engine_config(w: Workload, device: torch.device, epochs: int):
    from tui_dl.engine.config import RunConfig

    config = RunConfig()
    config.data.val_split = 0.0
    config.model.layers, config.model.neurons = len(w.hidden), list(w.hidden)
    config.train.optimizer, config.train.lr, config.train.momentum = "sgd", w.lr, 0.0
    config.train.batch_size, config.train.epochs, config.train.device = w.batch_size, epochs, str(device)
    return config


def measure_engine(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """tui-dl's Trainer, headless: the second epoch's wall time (training and the epoch-end metrics)."""
    from tui_dl.engine.trainer import Trainer

    trainer = Trainer(engine_config(w, device, epochs=2), data=engine_data(w, x, y, device))
    trainer.run()
    return len(y) / trainer.history[1].seconds


def measure_engine_in_ui(w: Workload, x: np.ndarray, y: np.ndarray, device: torch.device) -> float:
    """The same Trainer driven by the running Textual app (charts live), under `run_test`."""
    import asyncio

    from tui_dl.ui import app as app_module
    from tui_dl.engine.trainer import Trainer

    data = engine_data(w, x, y, device)
    result: dict[str, float] = {}

    class BenchSession(app_module.TrainingSession):
        def __init__(self, config, resume):
            super().__init__(config, resume)
            self.trainer = Trainer(config, data=data)
            self.trainer.subscribe(self.events.append)

    async def drive() -> None:
        app = app_module.make_app(engine_config(w, device, epochs=2))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            original, app_module.TrainingSession = app_module.TrainingSession, BenchSession
            try:
                await pilot.press("f5")
            finally:
                app_module.TrainingSession = original
            await pilot.press("f4")
            while app.run_state not in ("completed", "failed", "diverged"):
                await pilot.pause(0.05)
            result["rate"] = len(y) / app.session.trainer.history[1].seconds

    asyncio.run(drive())
    return result["rate"]


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

    trainer = pl.Trainer(max_epochs=2, accelerator="gpu" if device.type == "cuda" else "cpu", devices=1,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[Timer()])
    trainer.fit(Module(), loader)
    return len(y) / times[1]
