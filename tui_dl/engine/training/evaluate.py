"""Measuring a model on a split: loss, accuracy or MAE and R^2, reduced on the device."""

from __future__ import annotations

import torch
from torch import nn

from tui_dl.engine.data.prepare import PreparedData
from tui_dl.engine.insights.views import EVAL_CHUNK


@torch.no_grad()
def measure(model: nn.Module, data: PreparedData, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Loss and accuracy (classification) or MAE in target units and R^2 (regression) of `model` on (x, y).

    The loss is the data loss (no regularization penalty). Reduced on the device and read with one host sync.
    """
    model.eval()
    classification = data.task == "classification"
    totals = torch.zeros(3, dtype=torch.float64, device=x.device)
    outputs = 1 if classification else y.shape[1]
    y_mean = None if classification or not len(y) else y.mean(0)
    for start in range(0, len(x), EVAL_CHUNK):
        out, yb = model(x[start:start + EVAL_CHUNK]), y[start:start + EVAL_CHUNK]
        if classification:
            totals[0] += nn.functional.cross_entropy(out, yb, reduction="sum")
            totals[1] += (out.argmax(1) == yb).sum()
        else:
            totals[0] += nn.functional.mse_loss(out, yb, reduction="sum") / outputs
            totals[1] += ((out - yb).abs() * data.y_std.to(x.device)).sum() / outputs
            totals[2] += ((yb - y_mean) ** 2).sum() / outputs
    loss_sum, second, centred = totals.tolist()
    if not len(x):
        return {}
    result = {"loss": loss_sum / len(x)}
    if classification:
        result["acc"] = second / len(x)
    else:
        result["mae"] = second / len(x)
        result["r2"] = 1 - loss_sum / max(centred, 1e-12)
    return result
