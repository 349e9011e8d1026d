"""The benchmark workload: MNIST-shaped synthetic data (seeded, learnable) and the MLPs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Workload:
    """What one benchmark row trains: data shape, model widths, batch size."""

    name: str
    samples: int
    features: int
    classes: int
    hidden: tuple[int, ...]
    batch_size: int
    lr: float = 0.05


def make_data(w: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features near one of `classes` random prototypes (learnable), as float32 / int64 arrays."""
    rng = np.random.default_rng(seed)
    prototypes = rng.normal(0, 1, (w.classes, w.features)).astype(np.float32)
    y = rng.integers(0, w.classes, w.samples)
    x = prototypes[y] + rng.normal(0, 2.0, (w.samples, w.features)).astype(np.float32)
    return x, y.astype(np.int64)


def make_model(w: Workload) -> nn.Sequential:
    """Linear + ReLU layers of the workload's widths, as the engine builds them."""
    layers: list[nn.Module] = []
    width = w.features
    for size in w.hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, w.classes))
    return nn.Sequential(*layers)


def mnist_like(batch_size: int, samples: int = 60_000) -> Workload:
    return Workload(f"784-256-256-10 bs{batch_size}", samples, 784, 10, (256, 256), batch_size)


def spiral_like(batch_size: int = 32, samples: int = 2_000) -> Workload:
    return Workload(f"spiral 2-16-16-2 bs{batch_size}", samples, 2, 2, (16, 16), batch_size)


def seeded(seed: int = 0) -> None:
    torch.manual_seed(seed)
