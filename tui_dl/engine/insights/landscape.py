"""The loss landscape: the training loss over a 2-D slice of parameter space, with the optimizer's path on it.

For y = b + w x the slice is the (w, b) plane itself. For any other model it passes through the current
weights along the two main directions (PCA) of the recorded path, or, while the path is too short for that,
along two filter-normalized random directions (Li et al. 2018, "Visualizing the Loss Landscape of Neural
Nets"). The loss is the training loss on a fixed subset of the training split, every grid point evaluated
in batched forward passes (torch.func.functional_call under vmap), on a grid as fine as LANDSCAPE_SECONDS
allows, interpolated to the view's size.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from tui_dl.engine.data.prepare import PreparedData
from tui_dl.engine.insights.trajectory import Trajectory, is_line
from tui_dl.engine.insights.views import CROSS_ENTROPY, MSE, Landscape

LANDSCAPE_SAMPLES = 1_024  # the loss is computed on at most this many training samples,
SAMPLE_FLOATS = 1 << 20  # and on fewer for big models: at most this / parameters (but MIN_SAMPLES)
MIN_SAMPLES = 128
LANDSCAPE_SECONDS = 0.015  # the grid is as fine as this allows (the trainer spaces probes by their cost too)
MIN_GRID_POINTS = 64  # the first probe's grid, and the coarsest
MAX_GRID_POINTS = 4_096
CHUNK_FLOATS = 1 << 23  # bounds one batched evaluation's memory (activations plus parameter vectors)
MARGIN = 0.25  # room around the path, as a share of its extent
LINE_HALF_SPAN = 0.5  # the (w, b) window is at least this far each side of its centre,
LINE_REACH = 10.0  # and holds the path only this many times as far from the minimum as it started (or 0.5)
RANDOM_HALF_SPAN = 1.0  # the random slice spans -1..1 times the filter-normalized directions


def landscape_samples(data: PreparedData, parameters: int) -> int:
    """How many (leading) training samples the loss is computed on."""
    return min(len(data.x_train), LANDSCAPE_SAMPLES, max(MIN_SAMPLES, SAMPLE_FLOATS // max(parameters, 1)))


def _named(model: nn.Module) -> tuple[list[str], list[torch.Size], list[int]]:
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [n for n, _ in named], [p.shape for _, p in named], [p.numel() for _, p in named]


def grid_losses(model: nn.Module, data: PreparedData, origin: torch.Tensor, directions: torch.Tensor,
                coords: torch.Tensor, samples: int) -> torch.Tensor:
    """The training loss (MSE or cross-entropy, as trained) at origin + coords @ directions for each row of
    `coords` (G x 2), on the first `samples` training samples: G losses, in batched forward passes."""
    names, shapes, numels = _named(model)
    x, y = data.x_train[:samples], data.y_train[:samples]
    loss_fn = nn.functional.cross_entropy if data.task == "classification" else nn.functional.mse_loss

    def loss_at(theta: torch.Tensor) -> torch.Tensor:
        params = {n: t.view(s) for n, t, s in zip(names, theta.split(numels), shapes)}
        return loss_fn(functional_call(model, params, (x,)), y)

    widest = max([m.out_features for m in model.modules() if isinstance(m, nn.Linear)] + [x.shape[1]])
    chunk = max(1, CHUNK_FLOATS // (len(x) * widest + origin.numel()))
    batched = vmap(loss_at)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return torch.cat([batched(origin + coords[i:i + chunk] @ directions) for i in range(0, len(coords), chunk)])
    finally:
        model.train(was_training)


def pca_directions(points: torch.Tensor) -> tuple[torch.Tensor, tuple[float, float]] | None:
    """The two main directions (orthonormal, 2 x P) of the points and their shares of the variance, or None
    when the points do not span two directions."""
    if len(points) < 3:
        return None
    centred = points - points.double().mean(0).to(points.dtype)
    values, vectors = torch.linalg.eigh((centred @ centred.T).double())
    values, vectors = values.flip(0).clamp(min=0), vectors.flip(1)
    if values[0] <= 0 or values[1] <= 1e-5 * values[0]:  # a second direction below float32 noise
        return None
    directions = (vectors[:, :2].T.to(points.dtype) @ centred)
    directions = directions / torch.linalg.vector_norm(directions, dim=1, keepdim=True)
    total = float(values.sum())
    return directions, (float(values[0]) / total, float(values[1]) / total)


def random_directions(model: nn.Module, seed: int = 0) -> torch.Tensor:
    """Two random directions (2 x P, on the model's device), each filter-normalized (Li et al. 2018): every
    row of a weight matrix (one neuron's incoming weights) scaled to that row's norm, biases left out (zero)."""
    generator = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    rows = []
    for _ in range(2):
        parts = []
        for p in params:
            d = torch.randn(p.shape, generator=generator).to(p.device)
            if p.dim() >= 2:
                weight = p.detach().reshape(len(p), -1)
                d = d.reshape(len(p), -1)
                d = d * (torch.linalg.vector_norm(weight, dim=1, keepdim=True)
                         / torch.linalg.vector_norm(d, dim=1, keepdim=True).clamp(min=1e-12))
            else:
                d = torch.zeros_like(d)
            parts.append(d.reshape(-1))
        rows.append(torch.cat(parts))
    return torch.stack(rows)


def _window(points: np.ndarray, cols: int, rows: int, least: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y ranges holding `points` with a margin, at least `least` each side, one scale on both axes."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2 * (1 + MARGIN), least)
    scale = max(2 * half[0] / max(cols - 1, 1), 2 * half[1] / max(rows - 1, 1))  # per grid cell, both axes
    half = np.array([scale * (cols - 1) / 2, scale * (rows - 1) / 2])
    return (float(centre[0] - half[0]), float(centre[0] + half[0])), (float(centre[1] - half[1]),
                                                                      float(centre[1] + half[1]))


def _resolution(cols: int, rows: int, seconds_per_point: float) -> tuple[int, int]:
    """The grid to compute: the view's own when affordable, else fewer points in the same proportions."""
    affordable = LANDSCAPE_SECONDS / seconds_per_point if seconds_per_point > 0 else MIN_GRID_POINTS
    points = int(min(MAX_GRID_POINTS, max(MIN_GRID_POINTS, affordable)))
    if points >= cols * rows:
        return cols, rows
    shrink = math.sqrt(points / (cols * rows))
    return max(4, round(cols * shrink)), max(3, round(rows * shrink))


def _least_squares(data: PreparedData, samples: int) -> tuple[float, float]:
    """The (w, b) of the line with the least squared error on the first `samples` training samples."""
    x, y = data.x_train[:samples, 0].double(), data.y_train[:samples, 0].double()
    dx = x - x.mean()
    w = (dx * (y - y.mean())).sum() / (dx * dx).sum().clamp(min=1e-12)
    return float(w), float(y.mean() - w * x.mean())


def landscape(model: nn.Module, data: PreparedData, trajectory: Trajectory, cols: int, rows: int) -> Landscape:
    """The loss over a `cols` x `rows` grid of the slice with the recorded path projected on it."""
    points = trajectory.points()
    finite = points[torch.isfinite(points).all(dim=1)]  # a diverged run's last records are not
    now = finite[-1]
    samples = landscape_samples(data, trajectory.size)
    minimum, explained = None, (0.0, 0.0)
    if is_line(model):
        kind, origin, directions = "line", torch.zeros_like(now), torch.eye(2, device=now.device)
        minimum = _least_squares(data, samples)
        path = finite.cpu().double().numpy()
        distance = np.linalg.norm(path - minimum, axis=1)
        near = distance <= LINE_REACH * max(distance[0], LINE_HALF_SPAN)  # not the far end of a diverging path
        extent = np.vstack([path[near], [minimum]])
        least = LINE_HALF_SPAN
    else:
        pca = pca_directions(finite)
        if pca is not None:
            kind, origin, (directions, explained) = "pca", now, pca
            path = ((finite - now) @ directions.T).cpu().double().numpy()
            extent, least = path, 1e-3 * max(float(torch.linalg.vector_norm(now)), 1.0)
        else:
            kind, origin, directions = "random", now, random_directions(model)
            path = np.zeros((1, 2))
            extent, least = path, RANDOM_HALF_SPAN
    x_range, y_range = _window(extent, cols, rows, least)
    gc, gr = _resolution(cols, rows, trajectory.seconds_per_point)
    gx = torch.linspace(*x_range, gc, dtype=torch.float64)
    gy = torch.linspace(y_range[1], y_range[0], gr, dtype=torch.float64)  # top row first
    coords = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
    coords = torch.cat([coords, torch.as_tensor(path[-1:])])  # and the current weights
    started = time.perf_counter()
    losses = grid_losses(model, data, origin, directions.to(origin.dtype), coords.to(origin), samples)
    losses, now_loss = losses[:-1], float(losses[-1])
    logs = torch.log10(torch.nan_to_num(losses, nan=3e38, posinf=3e38).clamp(min=1e-30)).reshape(1, 1, gr, gc)
    if (gc, gr) != (cols, rows):
        logs = nn.functional.interpolate(logs, size=(rows, cols), mode="bilinear", align_corners=True)
    loss = (10.0 ** logs[0, 0].cpu().double()).numpy()
    trajectory.seconds_per_point = (time.perf_counter() - started) / (gc * gr)
    return Landscape(kind, x_range, y_range, loss, path, now_loss, minimum, explained, samples, len(data.x_train),
                     trajectory.size, CROSS_ENTROPY if data.task == "classification" else MSE,
                     trajectory.seen, (gc, gr))
