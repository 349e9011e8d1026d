"""Regularization: L1 as a penalty in the backpropagated loss (weights only), L2 as the optimizer's weight decay;
the recorded loss is the data loss."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from tui_dl.engine.training.optim import l1_penalty
from tui_dl.engine.training.trainer import Trainer

LR = 0.1


def one_full_batch_step(config_factory, regularization: str, rate: float):
    """A trainer after one SGD step (no momentum) on all its training data, and its model before the step."""
    config = config_factory("gauss", samples=100, epochs=1, noise=0.5, layers=1, neurons=[8], optimizer="sgd",
                            lr=LR, momentum=0.0, batch_size=1000, regularization=regularization, reg_rate=rate)
    trainer = Trainer(config)
    trainer.setup()
    before = copy.deepcopy(trainer.model)
    trainer.run()
    return trainer, before


def data_gradients(model: nn.Module, trainer: Trainer) -> tuple[float, dict[str, torch.Tensor]]:
    """The data loss of `model` on the trainer's training split, and its gradient by parameter name."""
    model.train()
    loss = nn.functional.cross_entropy(model(trainer.data.x_train), trainer.data.y_train)
    model.zero_grad()
    loss.backward()
    return loss.item(), {name: p.grad.clone() for name, p in model.named_parameters()}


def test_the_l1_penalty_adds_rate_times_the_sign_of_each_weight():
    w = torch.tensor([[0.5, -2.0], [0.0, 3.0]], requires_grad=True)
    v = torch.tensor([-1.0], requires_grad=True)
    penalty = l1_penalty([w, v], 0.01)
    assert penalty.item() == pytest.approx(0.01 * 6.5)
    penalty.backward()
    assert torch.equal(w.grad, 0.01 * torch.sign(w.detach()))
    assert torch.equal(v.grad, torch.tensor([-0.01]))


def test_an_l1_step_is_the_data_gradient_plus_rate_times_sign_of_the_weights_not_the_biases(config_factory):
    rate = 0.05
    trainer, before = one_full_batch_step(config_factory, "l1", rate)
    loss, grads = data_gradients(before, trainer)
    after = dict(trainer.model.named_parameters())
    for name, p in before.named_parameters():
        extra = rate * torch.sign(p.detach()) if name.endswith("weight") else 0.0
        assert torch.allclose(after[name].detach(), p.detach() - LR * (grads[name] + extra), atol=1e-6), name
    assert trainer.optimizer.param_groups[0]["weight_decay"] == 0.0
    # what is recorded (and drawn) is the data loss, without the penalty
    assert trainer.step_losses[0] == pytest.approx(loss, rel=1e-5)
    assert trainer.history[0].train_loss == pytest.approx(loss, rel=1e-5)


def test_l2_is_the_optimizers_weight_decay_on_every_parameter(config_factory):
    rate = 0.05
    trainer, before = one_full_batch_step(config_factory, "l2", rate)
    loss, grads = data_gradients(before, trainer)
    after = dict(trainer.model.named_parameters())
    assert trainer.optimizer.param_groups[0]["weight_decay"] == rate
    for name, p in before.named_parameters():
        assert torch.allclose(after[name].detach(), p.detach() - LR * (grads[name] + rate * p.detach()), atol=1e-6)
    assert trainer.step_losses[0] == pytest.approx(loss, rel=1e-5)


def test_no_regularization_is_plain_gradient_descent(config_factory):
    trainer, before = one_full_batch_step(config_factory, "none", 0.05)  # a rate without a regularization: unused
    _, grads = data_gradients(before, trainer)
    after = dict(trainer.model.named_parameters())
    for name, p in before.named_parameters():
        assert torch.allclose(after[name].detach(), p.detach() - LR * grads[name], atol=1e-6)


def test_l1_drives_more_weights_to_zero_than_l2(config_factory):
    def trained(regularization: str):
        config = config_factory("gauss", samples=200, epochs=40, noise=0.8, layers=1, neurons=[16], lr=0.02,
                                regularization=regularization, reg_rate=0.01)
        trainer = Trainer(config)
        assert trainer.run().status == "completed"
        return torch.cat([m.weight.detach().flatten() for m in trainer.model if isinstance(m, nn.Linear)])

    l1, l2 = trained("l1"), trained("l2")
    assert (l1.abs() < 1e-2).float().mean() > 2 * (l2.abs() < 1e-2).float().mean()
