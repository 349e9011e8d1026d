"""Evaluating a model without autograd, and its predictions over the plane of a 2-D data set.

The helpers every insight view shares (eval mode, chunked prediction, evenly spread indices, the plane's grid)
and the two plane views built on them: the decision boundary (classification) and the predicted value over
the plane (regression). Results are host numpy arrays in data units (`engine.insights.views`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tui_dl.engine.data.prepare import PreparedData
from tui_dl.engine.insights.views import EVAL_CHUNK, Boundary, Surface

BOUNDARY_POINTS = 600  # data points drawn over the boundary


class Eval:
    """Eval mode and no autograd for a block, restoring the model's previous mode."""

    def __init__(self, model: nn.Module):
        self.model, self.was_training = model, model.training
        self.no_grad = torch.no_grad()

    def __enter__(self) -> nn.Module:
        self.no_grad.__enter__()
        self.model.eval()
        return self.model

    def __exit__(self, *exc) -> None:
        self.model.train(self.was_training)
        self.no_grad.__exit__(*exc)


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with Eval(model):
        return torch.cat([model(x[i:i + EVAL_CHUNK]) for i in range(0, len(x), EVAL_CHUNK)]) if len(x) else model(x)


def spread(n: int, most: int) -> np.ndarray:
    """At most `most` indices spread evenly over range(n)."""
    return np.unique(np.linspace(0, n - 1, num=min(n, most)).astype(np.int64)) if n else np.zeros(0, np.int64)


def plane_grid(data: PreparedData, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """The low and high corners of the data's plane (with a 5% margin) and its `cols` x `rows` grid points
    (row by row, top row first) as the model's inputs on the device (its features of the plane, standardized)."""
    raw = data.raw
    lo, hi = raw.x.min(axis=0).astype(np.float64), raw.x.max(axis=0).astype(np.float64)
    margin = np.maximum((hi - lo) * 0.05, 1e-3)
    lo, hi = lo - margin, hi + margin
    gx = np.linspace(lo[0], hi[0], cols)
    gy = np.linspace(hi[1], lo[1], rows)  # top row first
    return lo, hi, data.encode(np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2))


def plane_points(data: PreparedData) -> np.ndarray:
    """Indices of the data points drawn over the plane."""
    return np.random.default_rng(0).permutation(data.raw.samples)[:BOUNDARY_POINTS]


def boundary(model: nn.Module, data: PreparedData, cols: int, rows: int) -> Boundary:
    """The model's predicted class over a `cols` x `rows` grid spanning the data (with a 5% margin)."""
    raw = data.raw
    lo, hi, grid = plane_grid(data, cols, rows)
    probabilities = torch.softmax(predict(model, grid), dim=1)
    confidence, classes = probabilities.max(dim=1)
    both = torch.stack([confidence, classes.to(confidence.dtype)]).cpu().numpy()
    pick = plane_points(data)
    return Boundary((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])),
                    both[1].reshape(rows, cols).astype(np.int64), both[0].reshape(rows, cols),
                    raw.x[pick].astype(np.float64), np.asarray(raw.y)[pick], list(raw.class_names),
                    list(raw.feature_names))


def surface(model: nn.Module, data: PreparedData, cols: int, rows: int) -> Surface:
    """The model's predicted first target, in data units, over a `cols` x `rows` grid spanning the data."""
    raw = data.raw
    lo, hi, grid = plane_grid(data, cols, rows)
    values = (predict(model, grid)[:, 0].cpu().double() * data.y_std[0] + data.y_mean[0]).numpy()
    pick = plane_points(data)
    return Surface((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), values.reshape(rows, cols),
                   raw.x[pick].astype(np.float64), raw.y[pick, 0].astype(np.float64), list(raw.feature_names),
                   raw.outputs)
