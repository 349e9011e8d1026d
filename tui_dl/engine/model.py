"""The MLP built from a ModelConfig."""

from __future__ import annotations

from torch import nn

from tui_dl.engine.config import ModelConfig

ACTIVATION_MODULES: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


def build_model(cfg: ModelConfig, inputs: int, outputs: int) -> nn.Sequential:
    """input -> hidden layers (Linear + activation [+ dropout]) -> Linear output."""
    layers: list[nn.Module] = []
    width = inputs
    for size in cfg.hidden_sizes():
        layers += [nn.Linear(width, size), ACTIVATION_MODULES[cfg.activation]()]
        if cfg.dropout > 0:
            layers.append(nn.Dropout(cfg.dropout))
        width = size
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


def activation_name(module: nn.Module) -> str | None:
    """The configured name of an activation module ("relu", ...), None for any other module."""
    return next((name for name, kind in ACTIVATION_MODULES.items() if type(module) is kind), None)


def parameter_count(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
