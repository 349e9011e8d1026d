"""The optimizer and the regularization: L2 as the optimizer's weight decay, L1 as a penalty in the loss."""

from __future__ import annotations

import torch
from torch import nn

from tui_dl.engine.config import TrainConfig


def make_optimizer(name: str, params, lr: float, momentum: float, weight_decay: float) -> torch.optim.Optimizer:
    """SGD (with momentum), Adam or AdamW."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def weight_decay(train: TrainConfig) -> float:
    """The optimizer's weight decay: the rate for L2 (every parameter, biases too, as torch applies it), else 0.

    For SGD and Adam this adds rate * w to each gradient, the gradient of (rate / 2) * sum w^2; AdamW decays
    the weights directly instead.
    """
    return train.reg_rate if train.regularization == "l2" else 0.0


def l1_weights(model: nn.Module, train: TrainConfig) -> list[torch.Tensor]:
    """The tensors L1 penalizes: every Linear layer's weight matrix (not the biases); none without L1."""
    if train.regularization != "l1":
        return []
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def l1_penalty(weights: list[torch.Tensor], rate: float) -> torch.Tensor:
    """rate * sum |w| over `weights`: added to the loss that is backpropagated, so each weight's gradient
    gains rate * sign(w)."""
    return rate * torch.stack([w.abs().sum() for w in weights]).sum()
