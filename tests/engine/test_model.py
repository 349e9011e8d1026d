"""The MLP: layers, activations, dropout; every activation and optimizer actually trains."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tui_dl.engine.config import ACTIVATIONS, OPTIMIZERS, ModelConfig
from tui_dl.engine.model import build_model, parameter_count
from tui_dl.engine.training.optim import make_optimizer
from tui_dl.engine.training.trainer import Trainer

ACTIVATION_CLASSES = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU,
                      "leaky_relu": nn.LeakyReLU}


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_layers_and_activation(activation):
    model = build_model(ModelConfig(layers=3, neurons=[8, 6, 4], activation=activation), 5, 2)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(5, 8), (8, 6), (6, 4), (4, 2)]
    assert sum(isinstance(m, ACTIVATION_CLASSES[activation]) for m in model) == 3
    assert isinstance(model[-1], nn.Linear)  # logits / raw outputs: no activation at the end
    assert not any(isinstance(m, nn.Dropout) for m in model)
    assert model(torch.zeros(4, 5)).shape == (4, 2)


def test_dropout_present_when_configured():
    model = build_model(ModelConfig(layers=2, neurons=[8], dropout=0.3), 3, 1)
    drops = [m for m in model if isinstance(m, nn.Dropout)]
    assert len(drops) == 2 and all(d.p == 0.3 for d in drops)
    model.train()
    x = torch.ones(64, 3)
    torch.manual_seed(0)
    assert not torch.equal(model(x), model(x))  # dropout is active in training mode
    model.eval()
    assert torch.equal(model(x), model(x))


def test_no_hidden_layers_is_linear():
    model = build_model(ModelConfig(layers=0), 4, 3)
    assert len(model) == 1 and isinstance(model[0], nn.Linear)
    assert parameter_count(model) == 15


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_make_optimizer(name):
    params = [nn.Parameter(torch.zeros(2))]
    opt = make_optimizer(name, params, 0.05, 0.8, 0.01)
    expected = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name]
    assert type(opt) is expected
    group = opt.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.01
    if name == "sgd":
        assert group["momentum"] == 0.8


def _train(config):
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed", finished.message
    losses = [m.train_loss for m in trainer.history]
    assert all(math.isfinite(v) for v in losses)
    assert all(math.isfinite(m.val_loss) for m in trainer.history)
    return trainer, losses


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_trains(config_factory, activation):
    config = config_factory("gauss", samples=160, epochs=6, activation=activation, neurons=[16], lr=0.02)
    trainer, losses = _train(config)
    assert losses[-1] < losses[0] * 0.9
    assert trainer.history[-1].val_acc > 0.8
    assert isinstance(trainer.model[1], ACTIVATION_CLASSES[activation])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_trains(config_factory, optimizer):
    lr = 0.1 if optimizer == "sgd" else 0.02
    config = config_factory("plane", samples=160, epochs=6, optimizer=optimizer, lr=lr,
                            regularization="l2", reg_rate=1e-4)
    trainer, losses = _train(config)
    assert losses[-1] < losses[0] * 0.7
    assert type(trainer.optimizer).__name__.lower() == optimizer


def test_dropout_model_trains(config_factory):
    config = config_factory("circle", samples=160, epochs=6, dropout=0.2, layers=2, neurons=[32])
    trainer, losses = _train(config)
    assert sum(isinstance(m, nn.Dropout) for m in trainer.model) == 2
    assert losses[-1] < losses[0]
