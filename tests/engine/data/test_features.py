"""Input features of 2-D data sets: computed once in preparation, applied to every grid point the views evaluate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from tui_dl.engine.training.checkpoint import check_compatible
from tui_dl.engine.config import FEATURES
from tui_dl.engine.data.registry import load_raw
from tui_dl.engine.errors import CheckpointError, DataError
from tui_dl.engine.data.features import expand
from tui_dl.engine.insights.plane import boundary
from tui_dl.engine.data.prepare import prepare, split_indices
from tui_dl.engine.training.trainer import Trainer

CPU = torch.device("cpu")


def test_each_feature_is_computed_from_x1_and_x2():
    x = torch.tensor([[2.0, -3.0], [0.5, 4.0]])
    columns = expand(x, list(FEATURES))
    a, b = x[:, 0], x[:, 1]
    expected = torch.stack([a, b, a * a, b * b, a * b, torch.sin(a), torch.sin(b)], dim=1)
    assert torch.equal(columns, expected)
    assert torch.equal(expand(x, ["sin(x2)", "x1"]), torch.stack([a, torch.sin(b)], dim=1))  # FEATURES' order
    assert expand(x, []) is x


def test_prepare_computes_the_features_once_and_standardizes_them(config_factory):
    config = config_factory("spiral", samples=200)
    raw = load_raw(config.data)
    data = prepare(raw, config.data, CPU, ["x1", "x1*x2", "sin(x1)"])
    assert data.inputs == 3 and data.raw.features == 2
    train, _, _ = split_indices(raw.samples, config.data)
    x1, x2 = raw.x[train, 0].astype(np.float64), raw.x[train, 1].astype(np.float64)
    columns = np.stack([x1, x1 * x2, np.sin(x1)], axis=1)
    assert data.x_mean.numpy() == pytest.approx(columns.mean(0), abs=1e-4)
    assert data.x_std.numpy() == pytest.approx(columns.std(0), rel=1e-4)
    assert data.x_train.numpy() == pytest.approx((columns - columns.mean(0)) / columns.std(0), abs=1e-4)
    assert torch.allclose(data.encode(raw.x[train]), data.x_train, atol=1e-5)  # the views' path agrees


def test_features_are_only_for_two_dimensional_data(config_factory):
    config = config_factory("sine", samples=100)
    with pytest.raises(DataError, match=r"input features \(x1, x1\^2\) are for data sets with 2 inputs; sine has 1"):
        prepare(load_raw(config.data), config.data, CPU, ["x1", "x1^2"])
    config.model.features = ["x1", "x1^2"]
    finished = Trainer(config).run()
    assert finished.status == "failed" and "are for data sets with 2 inputs" in finished.message


def test_the_boundary_grid_goes_through_the_same_features(config_factory):
    # A model of x1*x2 alone, class 1 where it is positive: over the plane, the four quadrants of xor.
    config = config_factory("xor", samples=200)
    data = prepare(load_raw(config.data), config.data, CPU, ["x1*x2"])
    mean, std = float(data.x_mean[0]), float(data.x_std[0])
    model = nn.Linear(1, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0], [1.0]]))
        model.bias.copy_(torch.tensor([0.0, mean / std]))  # logit 1 - logit 0 = x1*x2 / std
    view = boundary(model, data, 21, 11)
    xs = np.linspace(*view.x_range, 21)
    ys = np.linspace(view.y_range[1], view.y_range[0], 11)
    expected = (np.outer(ys, xs) > 0).astype(np.int64)
    assert view.classes.shape == (11, 21) and view.points.shape[1] == 2  # drawn over the original plane
    assert np.array_equal(view.classes, expected)


def test_a_linear_model_solves_xor_with_the_product_feature(config_factory):
    plain = Trainer(config_factory("xor", samples=300, epochs=30, layers=0, lr=0.05))
    product = Trainer(config_factory("xor", samples=300, epochs=30, layers=0, lr=0.05))
    product.config.model.features = ["x1", "x2", "x1*x2"]
    plain.run(), product.run()
    assert product.history[-1].val_acc > 0.95 > 0.75 > plain.history[-1].val_acc
    assert product.model[0].weight.shape == (2, 3)


def test_checkpoints_keep_the_features_and_refuse_other_ones(config_factory):
    config = config_factory("circle", samples=100, epochs=2)
    config.model.features = ["x1^2", "x2^2"]
    trainer = Trainer(config)
    trainer.run()
    state = trainer.checkpoint_state()
    assert state["config"]["model"]["features"] == ["x1^2", "x2^2"] and state["inputs"] == 2
    other = config.copy()
    other.model.features = []  # as many inputs (2), but not the same ones
    with pytest.raises(CheckpointError, match=r"takes the input features x1\^2, x2\^2 but the model here takes the "
                                              r"data set's inputs as they are"):
        check_compatible(state, other, 2, 2)
    more = config.copy()
    more.train.epochs = 4
    resumed = Trainer(more, resume=state)
    assert resumed.run().status == "completed"
    assert resumed.epoch == 4 and math.isfinite(resumed.history[-1].val_loss)
