"""The predicted value over the plane of a 2-D regression set (the Insights tab's first view for regression)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import make_config

from tui_dl.engine.insights import compute as insights, plane
from tui_dl.engine.insights.views import Surface
from tui_dl.engine.training.trainer import Trainer


@pytest.fixture(scope="module")
def plane_trainer() -> Trainer:
    # plane: y = (x1 + x2) / 12 over [-6, 6]^2, so the top-right corner is high and the bottom-left low.
    trainer = Trainer(make_config("plane", samples=300, epochs=20, lr=0.02, neurons=[16]))
    assert trainer.run().status == "completed"
    assert trainer.history[-1].val_r2 > 0.9
    return trainer


def test_surface_is_the_predicted_target_in_data_units(plane_trainer):
    data = plane_trainer.data
    s = plane.surface(plane_trainer.model, data, 30, 12)
    assert isinstance(s, Surface) and s.values.shape == (12, 30) and s.outputs == 1
    gx = np.linspace(s.x_range[0], s.x_range[1], 30)
    gy = np.linspace(s.y_range[1], s.y_range[0], 12)  # row 0: the largest x2
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    plane_trainer.model.eval()
    with torch.no_grad():
        out = plane_trainer.model((torch.as_tensor(grid, dtype=torch.float32) - data.x_mean) / data.x_std)
    expected = (out[:, 0].double() * data.y_std[0] + data.y_mean[0]).numpy().reshape(12, 30)
    assert s.values == pytest.approx(expected, abs=1e-5)
    assert s.values[0, -1] > 0.8 and s.values[-1, 0] < -0.8  # about +-1.1 at the corners (with the margin)
    assert s.x_range[0] < data.raw.x[:, 0].min() and data.raw.x[:, 1].max() < s.y_range[1]


def test_surface_points_carry_their_true_targets(plane_trainer):
    raw = plane_trainer.data.raw
    s = plane.surface(plane_trainer.model, plane_trainer.data, 20, 10)
    assert len(s.points) == len(s.targets) == min(raw.samples, plane.BOUNDARY_POINTS)
    truth = {tuple(p): float(y) for p, y in zip(raw.x.astype(np.float64), raw.y[:, 0])}
    assert all(truth[tuple(p)] == pytest.approx(y) for p, y in zip(s.points, s.targets))
    assert s.feature_names == ["x1", "x2"]


def test_compute_gives_a_surface_for_the_plane_view_of_regression(plane_trainer):
    result = insights.compute(plane_trainer.model, plane_trainer.data, frozenset({"boundary", "fit"}), (16, 8))
    assert isinstance(result["boundary"], Surface) and result["boundary"].values.shape == (8, 16)
    assert result["fit"].kind == "scatter"
