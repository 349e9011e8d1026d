"""The loss landscape: the recorded path (engine.insights.trajectory) and the loss over a slice (engine.insights.landscape)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import make_config
from torch import nn

import tui_dl.engine.insights.trajectory as trajectory_module
from tui_dl.engine.insights import compute as insights, landscape
from tui_dl.engine.events import InsightsReady
from tui_dl.engine.training.trainer import Trainer
from tui_dl.engine.insights.trajectory import Trajectory, is_line


def line_config(epochs: int = 3, lr: float = 0.05, samples: int = 200, **train):
    """y = b + w x on daily-views with a window of 1 day, trained by plain SGD."""
    config = make_config("daily-views", samples=samples, epochs=epochs, layers=0, optimizer="sgd", lr=lr,
                         momentum=0.0, **train)
    config.data.window = 1
    return config


def trained(config) -> Trainer:
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed", finished.message
    return trainer


def flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


# recording the path ---------------------------------------------------------------------------------


def test_a_line_is_recorded_every_step_and_other_models_every_epoch():
    line = trained(line_config(epochs=3))
    assert is_line(line.model) and line.trajectory.per_step
    steps = line.steps_per_epoch * 3
    assert line.trajectory.count == steps + 1 and line.trajectory.seen == steps  # the start, then every step
    net = trained(make_config("circle", samples=80, epochs=3, layers=2))
    assert not is_line(net.model) and not net.trajectory.per_step
    assert net.trajectory.count == 4 and net.trajectory.size == sum(p.numel() for p in net.model.parameters())


def test_the_path_keeps_its_start_one_by_one_and_thins_the_rest(monkeypatch):
    monkeypatch.setattr(trajectory_module, "LINE_RECORDS", 8)
    model = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.fill_(0.0)
    path = Trajectory(model)
    assert (path.capacity, path.head) == (8, 4)
    for step in range(1, 41):
        with torch.no_grad():
            model[0].weight.fill_(float(step))
        path.after_step()
        path.after_epoch()  # a line records steps only
    kept = path.buffer[:path.count, 0].tolist()
    stride = path.stride
    expected = [0, 1, 2, 3] + list(range(4, 41, stride))
    assert kept == expected and path.count <= 8 and stride == 16
    points = path.points()[:, 0].tolist()
    assert points == (expected if expected[-1] == 40 else expected + [40])  # the current weights last


def test_snapshots_of_a_big_model_are_bounded_by_memory(monkeypatch):
    monkeypatch.setattr(trajectory_module, "TRAJECTORY_BYTES", 4 * 1000 * 10)
    path = Trajectory(nn.Sequential(nn.Linear(10, 90), nn.ReLU(), nn.Linear(90, 1)))  # 1,081 parameters
    assert path.capacity == 9 and path.buffer.shape == (9, 1081)
    tiny = Trajectory(nn.Sequential(nn.Linear(1000, 100)))
    assert tiny.capacity == trajectory_module.MIN_RECORDS


# the (w, b) landscape of y = b + w x ----------------------------------------------------------------


@pytest.fixture(scope="module")
def line_trainer() -> Trainer:
    return trained(line_config(epochs=4))


def test_line_landscape_is_the_mse_over_w_and_b(line_trainer):
    data = line_trainer.data
    land = landscape.landscape(line_trainer.model, data, line_trainer.trajectory, 9, 5)
    assert land.kind == "line" and land.loss.shape == (5, 9) and land.grid == (9, 5)  # small: computed exactly
    n = landscape.landscape_samples(data, 2)
    assert land.samples == n == len(data.x_train) == land.train_samples
    x, y = data.x_train[:n, 0].double().numpy(), data.y_train[:n, 0].double().numpy()
    ws = np.linspace(*land.x_range, 9)
    bs = np.linspace(land.y_range[1], land.y_range[0], 5)  # row 0 is the top: the largest b
    by_hand = np.array([[np.mean((w * x + b - y) ** 2) for w in ws] for b in bs])
    np.testing.assert_allclose(land.loss, by_hand, rtol=1e-4)
    w, b = land.path[-1]
    assert land.now_loss == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-4)
    best_w, best_b = np.polyfit(x, y, 1)
    assert land.minimum == pytest.approx((best_w, best_b), abs=1e-6)
    assert land.loss_name == "MSE" and land.parameters == 2 and land.recorded == line_trainer.trajectory.seen


def test_line_path_starts_at_the_initial_weights_and_ends_at_the_current_ones():
    trainer = Trainer(line_config(epochs=2))
    trainer.setup()
    start = flat(trainer.model).double().numpy()
    trainer.run()
    land = landscape.landscape(trainer.model, trainer.data, trainer.trajectory, 30, 16)
    np.testing.assert_allclose(land.path[0], start, rtol=1e-6)
    np.testing.assert_allclose(land.path[-1], flat(trainer.model).double().numpy(), rtol=1e-6)
    assert len(land.path) == trainer.steps_per_epoch * 2 + 1
    (x0, x1), (y0, y1) = land.x_range, land.y_range
    assert x0 < land.path[:, 0].min() and land.path[:, 0].max() < x1  # the whole path is on the map
    assert y0 < land.path[:, 1].min() and land.path[:, 1].max() < y1
    assert (x1 - x0) / 29 == pytest.approx((y1 - y0) / 15)  # one scale on both axes


def test_a_large_learning_rate_zig_zags_across_the_valley():
    small = trained(line_config(epochs=1, lr=0.05))
    large = trained(line_config(epochs=1, lr=0.9))

    def turns(trainer: Trainer) -> float:
        steps = np.diff(landscape.landscape(trainer.model, trainer.data, trainer.trajectory, 20, 10).path, axis=0)
        return float(np.mean(np.sum(steps[1:] * steps[:-1], axis=1) < 0))  # share of steps that reverse

    assert turns(large) > 0.6 and turns(small) < 0.4


def test_a_diverged_run_still_draws_its_path_until_it_left():
    trainer = Trainer(line_config(epochs=30, lr=1.3))
    trainer.probes, trainer.probe_size = frozenset({"landscape", "fit"}), (40, 20)
    ready = []
    trainer.subscribe(lambda e: ready.append(e) if isinstance(e, InsightsReady) else None)
    assert trainer.run().status == "diverged"
    final = ready[-1].insights
    assert set(final) == {"landscape"}  # not the fit of broken weights
    land = final["landscape"]
    assert np.isfinite(land.path).all() and len(land.path) > trainer.steps_per_epoch
    assert np.isfinite(land.loss).all()


# any other model: a slice through parameter space --------------------------------------------------


def test_pca_directions_span_a_path_in_a_plane():
    generator = torch.Generator().manual_seed(0)
    origin, u, v = (torch.randn(50, generator=generator) for _ in range(3))
    a, b = torch.randn(12, 1, generator=generator), 0.3 * torch.randn(12, 1, generator=generator)
    points = origin + a * u + b * v
    directions, explained = landscape.pca_directions(points)
    assert directions.shape == (2, 50)
    torch.testing.assert_close(directions @ directions.T, torch.eye(2), atol=1e-5, rtol=0)  # orthonormal
    offsets = points - points[-1]
    torch.testing.assert_close(offsets @ directions.T @ directions, offsets, atol=1e-4, rtol=0)  # they span it
    assert explained[0] > explained[1] > 0 and sum(explained) == pytest.approx(1.0, abs=1e-6)
    assert landscape.pca_directions(points[:2]) is None  # two points make one direction
    assert landscape.pca_directions(origin + a * u) is None  # points on a line


def test_a_network_slice_follows_its_path_by_pca():
    trainer = Trainer(make_config("circle", samples=120, epochs=6, layers=2))
    trainer.setup()
    start = flat(trainer.model)
    trainer.run()
    land = landscape.landscape(trainer.model, trainer.data, trainer.trajectory, 12, 6)
    assert land.kind == "pca" and land.loss_name == "cross-entropy" and land.recorded == 6
    assert len(land.path) == 7 and np.allclose(land.path[-1], 0.0)  # the slice is centred on the current weights
    records = trainer.trajectory.points()
    torch.testing.assert_close(records[0], start)
    now = flat(trainer.model)
    directions, explained = landscape.pca_directions(records)
    np.testing.assert_allclose(land.path, ((records - now) @ directions.T).double().numpy(), atol=1e-5)
    assert land.explained == pytest.approx(explained) and sum(explained) <= 1 + 1e-9
    # the loss at the slice's middle is the model's own training loss on those samples
    x, y = trainer.data.x_train[:land.samples], trainer.data.y_train[:land.samples]
    trainer.model.eval()
    with torch.no_grad():
        assert land.now_loss == pytest.approx(float(nn.functional.cross_entropy(trainer.model(x), y)), rel=1e-5)


def test_without_enough_path_the_slice_takes_filter_normalized_random_directions():
    trainer = Trainer(make_config("circle", samples=80, epochs=1, layers=1))
    trainer.setup()
    land = landscape.landscape(trainer.model, trainer.data, trainer.trajectory, 16, 8)
    assert land.kind == "random" and land.path.shape == (1, 2) and land.x_range[1] >= 1.0
    directions = landscape.random_directions(trainer.model)
    torch.testing.assert_close(directions, landscape.random_directions(trainer.model))  # the same every time
    offset = 0
    for p in trainer.model.parameters():
        part = directions[:, offset:offset + p.numel()].reshape(2, *p.shape)
        offset += p.numel()
        if p.dim() == 1:
            assert torch.all(part == 0)  # biases are left out
        else:  # each neuron's incoming weights scaled to the size of the model's
            torch.testing.assert_close(torch.linalg.vector_norm(part, dim=2),
                                       torch.linalg.vector_norm(p.detach(), dim=1).expand(2, -1))


def test_the_grid_is_as_fine_as_the_budget_allows(line_trainer):
    model, data, path = line_trainer.model, line_trainer.data, line_trainer.trajectory
    path.seconds_per_point = 1.0  # slow: the coarsest grid, interpolated to the view's size
    land = landscape.landscape(model, data, path, 100, 50)
    cols, rows = land.grid
    assert land.loss.shape == (50, 100) and cols * rows <= 1.2 * landscape.MIN_GRID_POINTS and cols >= 1.8 * rows
    path.seconds_per_point = 1e-9  # fast: the view's own size, up to MAX_GRID_POINTS
    assert landscape.landscape(model, data, path, 60, 30).grid == (60, 30)
    assert np.prod(landscape.landscape(model, data, path, 200, 100).grid) <= 1.1 * landscape.MAX_GRID_POINTS
    assert path.seconds_per_point > 1e-9  # measured again by each computation


def test_big_models_use_fewer_samples(line_trainer):
    data = line_trainer.data
    assert landscape.landscape_samples(data, 10) == len(data.x_train)
    assert landscape.landscape_samples(data, 10 ** 9) == min(landscape.MIN_SAMPLES, len(data.x_train))


def test_compute_gives_a_landscape_with_or_without_a_path(line_trainer):
    result = insights.compute(line_trainer.model, line_trainer.data, frozenset({"landscape"}), (20, 10))
    assert result["landscape"].path.shape == (1, 2)  # only the current weights
    result = line_trainer.insights(frozenset({"landscape"}))
    assert len(result["landscape"].path) == line_trainer.trajectory.count
