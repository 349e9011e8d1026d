"""What the insight views draw, computed on the training device from a model and its data.

The regression fit, the confusion matrix and per-layer weight and gradient norms here; `compute` dispatches to
every view: these, the plane's (`engine.insights.plane`: decision boundary, predicted value), the loss landscape
(`engine.insights.landscape`) and the neurons' views (`engine.insights.neurons`). Each function reads the device
once; results (see `engine.insights.views`) are host numpy arrays in data units.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tui_dl.engine.data.prepare import PreparedData
from tui_dl.engine.insights import landscape, neurons
from tui_dl.engine.insights.plane import boundary, predict, spread, surface
from tui_dl.engine.insights.trajectory import Trajectory
from tui_dl.engine.insights.views import (
    Boundary,
    Confusion,
    Fit,
    Landscape,
    NeuronMaps,
    Pieces,
    Surface,
    Unavailable,
    model_why_not,
    why_not,
)
from tui_dl.i18n import N_, _

FIT_POINTS = 600  # points of a regression fit
CONFUSION_SAMPLES = 10_000  # the confusion matrix counts at most this many samples of its split


def layer_norms(model: nn.Module) -> tuple[list[float], list[float]]:
    """L2 norms of each Linear layer's weights and of their latest gradients (0 before any backward)."""
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    if not weights:
        return [], []
    grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in weights]
    norms = torch.stack([torch.linalg.vector_norm(t.detach()) for t in weights + grads]).tolist()
    return norms[:len(weights)], norms[len(weights):]


def fit(model: nn.Module, data: PreparedData) -> Fit:
    """True vs predicted first target: along x for one input, along time for ordered data, else a scatter."""
    raw = data.raw
    if raw.features == 1 or raw.ordered:
        if raw.ordered:
            index = spread(raw.samples, FIT_POINTS)
            kind, x, x_label = "series", index.astype(np.float64), _("sample (in time order)")
        else:
            order = np.argsort(raw.x[:, 0], kind="stable")
            index = order[spread(raw.samples, FIT_POINTS)]
            kind, x, x_label = "curve", raw.x[index, 0].astype(np.float64), raw.feature_names[0]
        true = raw.y[index, 0].astype(np.float64)
        inputs = data.encode(raw.x[index])
    else:
        x_eval, y_eval, _split = _evaluation_split(data)
        index = torch.from_numpy(spread(len(x_eval), FIT_POINTS)).to(data.device)
        inputs = x_eval[index]
        true = (y_eval[index, 0].cpu().double() * data.y_std[0] + data.y_mean[0]).numpy()
        kind, x_label = "scatter", _("true")
        x = true
    predicted = (predict(model, inputs)[:, 0].cpu().double() * data.y_std[0] + data.y_mean[0]).numpy()
    return Fit(kind, x, true, predicted, x_label, _("predicted") if kind == "scatter" else _("target"))


def _evaluation_split(data: PreparedData) -> tuple[torch.Tensor, torch.Tensor, str]:
    if len(data.x_val):
        return data.x_val, data.y_val, N_("validation")  # the split's name: `_()` shows it
    return data.x_train, data.y_train, N_("training")


def confusion(model: nn.Module, data: PreparedData) -> Confusion:
    """The confusion matrix on the validation split (the training split when there is none).

    Splits are shuffled, so the first CONFUSION_SAMPLES samples are a fair sample of a larger split.
    """
    x, y, split = _evaluation_split(data)
    classes = data.outputs
    x, y, size = x[:CONFUSION_SAMPLES], y[:CONFUSION_SAMPLES], len(x)
    predicted = predict(model, x).argmax(dim=1)
    counts = torch.bincount(y * classes + predicted, minlength=classes * classes)
    return Confusion(counts.cpu().numpy().reshape(classes, classes), list(data.raw.class_names), split, size)


def compute(model: nn.Module, data: PreparedData, kinds: frozenset[str], size: tuple[int, int],
            trajectory: Trajectory | None = None) -> dict:
    """The insights in `kinds` that apply to `data`, by name; `size` is the plane's (or landscape's) grid (cols,
    rows), `trajectory` the path so far (without one, the landscape has only the current point).

    "boundary" is a Boundary for classification, a Surface for regression; a view that does not apply to the
    model (neurons of a model without hidden layers) is an Unavailable."""
    result: dict[str, Boundary | Surface | Fit | Confusion | Landscape | Pieces | NeuronMaps | Unavailable] = {}
    for kind in kinds:
        if why_not(kind, data.task, data.raw.features) is not None:  # views draw over the data's own inputs
            continue
        if (reason := model_why_not(kind, neurons.hidden_layers(model))) is not None:
            result[kind] = Unavailable(reason)
        elif kind == "boundary":
            result[kind] = (boundary if data.task == "classification" else surface)(model, data, *size)
        elif kind == "fit":
            result[kind] = fit(model, data)
        elif kind == "confusion":
            result[kind] = confusion(model, data)
        elif kind == "landscape":
            result[kind] = landscape.landscape(model, data, trajectory or Trajectory(model), *size)
        elif kind == "pieces":
            result[kind] = neurons.pieces(model, data)
        elif kind == "neurons":
            result[kind] = neurons.neuron_maps(model, data, *size)
    return result
