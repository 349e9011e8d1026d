"""The hidden neurons' views: a one-input model as a constant plus one piece per neuron, and what each neuron
of a 2-D model responds to over the plane."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tui_dl.engine.data.prepare import PreparedData
from tui_dl.engine.insights.plane import Eval, boundary, plane_grid, spread, surface
from tui_dl.engine.insights.views import NeuronMaps, Pieces
from tui_dl.engine.model import activation_name

PIECE_POINTS = 300  # x positions the pieces are drawn at
PIECES_SHOWN = 8  # neurons drawn one by one; the others are summed into one curve
PIECE_DATA_POINTS = 400  # data points drawn behind the pieces
MAP_NEURONS = 64  # most neurons of a layer mapped (those with the largest outgoing weights)


def hidden_layers(model: nn.Module) -> int:
    """How many hidden layers the MLP has."""
    return sum(1 for m in model.modules() if activation_name(m) is not None)


def _hidden_outputs(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Each hidden layer's activations (n x width) for inputs `x`, and the model's output."""
    hidden = []
    for module in model:
        x = module(x)
        if activation_name(module) is not None:
            hidden.append(x)
    return hidden, x


def _activation(model: nn.Module) -> str:
    return next(name for m in model.modules() if (name := activation_name(m)) is not None)


def pieces(model: nn.Module, data: PreparedData) -> Pieces:
    """The model's first output along its one input as the output bias plus c_i * a_i(x) for each neuron i of
    the last hidden layer (c_i its output weight), in data units."""
    raw = data.raw
    xs = np.linspace(float(raw.x[:, 0].min()), float(raw.x[:, 0].max()), PIECE_POINTS)
    output = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    scale, shift = data.y_std[0].to(data.device), data.y_mean[0].to(data.device)
    with Eval(model):
        hidden, out = _hidden_outputs(model, data.encode(xs[:, None]))
        parts = (hidden[-1] * output.weight[0] * scale).T  # neurons x points
        order = torch.argsort(parts.amax(dim=1) - parts.amin(dim=1), descending=True, stable=True)
        shown, others = order[:PIECES_SHOWN], order[PIECES_SHOWN:]
        rest = parts[others].sum(dim=0) if len(others) else torch.zeros_like(parts[0])
        constant = (output.bias[0] * scale + shift).expand(len(xs))
        curves = torch.cat([parts[shown], torch.stack([rest, out[:, 0] * scale + shift, constant])])
        curves = curves.cpu().double().numpy()
    k = len(shown)
    pick = np.argsort(raw.x[:, 0], kind="stable")[spread(raw.samples, PIECE_DATA_POINTS)]
    return Pieces(xs, float(curves[-1, 0]), curves[:k], [int(i) + 1 for i in shown.tolist()], curves[k],
                  curves[k + 1], len(parts), len(hidden), _activation(model),
                  raw.x[pick, 0].astype(np.float64), raw.y[pick, 0].astype(np.float64), raw.feature_names[0])


def neuron_maps(model: nn.Module, data: PreparedData, cols: int, rows: int) -> NeuronMaps:
    """Every hidden neuron's activation over a `cols` x `rows` grid spanning the data (at most MAP_NEURONS per
    layer: those with the largest outgoing weights), and the output's map on the same grid."""
    lo, hi, grid = plane_grid(data, cols, rows)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    layers, neurons = [], []
    with Eval(model):
        hidden, _ = _hidden_outputs(model, grid)
        picked = []
        for activations, after in zip(hidden, linears[1:]):
            importance = torch.linalg.vector_norm(after.weight, dim=0)
            order = torch.argsort(importance, descending=True, stable=True)[:MAP_NEURONS]
            picked.append((activations[:, order].T, order))
        host = [(a.cpu().double().numpy(), order.cpu().numpy()) for a, order in picked]
    for activations, order in host:
        layers.append(activations.reshape(len(order), rows, cols))
        neurons.append([int(i) + 1 for i in order])
    plane = (boundary if data.task == "classification" else surface)(model, data, cols, rows)
    return NeuronMaps((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), layers, neurons,
                      [a.shape[1] for a in hidden], _activation(model), plane)
