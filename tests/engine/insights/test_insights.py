"""Insight views (decision boundary, regression fit, confusion matrix, layer norms) and the trainer's probes."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from helpers import make_config

import tui_dl.engine.training.trainer as trainer_module
from tui_dl.engine.insights import compute as insights, plane, probe_budget
from tui_dl.engine.config import ModelConfig
from tui_dl.engine.events import EpochEnded, InsightsReady, RunFinished
from tui_dl.engine.insights.views import Confusion, why_not
from tui_dl.engine.insights.compute import layer_norms
from tui_dl.engine.model import build_model
from tui_dl.engine.training.trainer import Trainer


def trained(config) -> Trainer:
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed", finished.message
    return trainer


def predict(trainer: Trainer, x: np.ndarray) -> torch.Tensor:
    """The model's raw output on data-unit inputs `x`, computed here independently of `insights`."""
    data = trainer.data
    t = (torch.as_tensor(x, dtype=torch.float32) - data.x_mean) / data.x_std
    trainer.model.eval()
    with torch.no_grad():
        return trainer.model(t)


def in_data_units(trainer: Trainer, out: torch.Tensor) -> np.ndarray:
    data = trainer.data
    return (out[:, 0].double() * data.y_std[0] + data.y_mean[0]).numpy()


@pytest.fixture(scope="module")
def xor_trainer() -> Trainer:
    # XOR's labels flip when either axis is mirrored, so a grid drawn upside down or mirrored cannot pass.
    trainer = trained(make_config("xor", samples=300, epochs=30, lr=0.03, layers=2, neurons=[16]))
    assert trainer.history[-1].val_acc > 0.9
    return trainer


# decision boundary -----------------------------------------------------------------------------


def test_boundary_grid_shape_range_and_points(xor_trainer):
    raw = xor_trainer.data.raw
    b = plane.boundary(xor_trainer.model, xor_trainer.data, 40, 20)
    assert b.classes.shape == b.confidence.shape == (20, 40)
    assert b.classes.dtype == np.int64 and set(np.unique(b.classes)) <= {0, 1}
    assert b.x_range[0] < raw.x[:, 0].min() < raw.x[:, 0].max() < b.x_range[1]
    assert b.y_range[0] < raw.x[:, 1].min() < raw.x[:, 1].max() < b.y_range[1]
    assert len(b.points) == len(b.labels) == min(raw.samples, plane.BOUNDARY_POINTS)
    rows = {tuple(p): label for p, label in zip(raw.x.astype(np.float64), raw.y)}
    assert all(rows[tuple(p)] == label for p, label in zip(b.points, b.labels))  # real samples, right labels
    assert b.class_names == ["different", "same"] and b.feature_names == ["x1", "x2"]
    assert 0.5 <= b.confidence.min() and b.confidence.max() <= 1.0


def test_boundary_predicts_the_labels_of_the_data_points(xor_trainer):
    b = plane.boundary(xor_trainer.model, xor_trainer.data, 80, 40)
    rows, cols = b.classes.shape
    col = np.rint((b.points[:, 0] - b.x_range[0]) / (b.x_range[1] - b.x_range[0]) * (cols - 1)).astype(int)
    row = np.rint((b.y_range[1] - b.points[:, 1]) / (b.y_range[1] - b.y_range[0]) * (rows - 1)).astype(int)
    agreement = (b.classes[row, col] == b.labels).mean()
    assert agreement > 0.85


def test_boundary_row_zero_is_the_top(xor_trainer):
    b = plane.boundary(xor_trainer.model, xor_trainer.data, 30, 12)
    gx = np.linspace(b.x_range[0], b.x_range[1], 30)
    gy = np.linspace(b.y_range[1], b.y_range[0], 12)  # row 0: the largest y
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    probabilities = torch.softmax(predict(xor_trainer, grid), dim=1)
    expected = probabilities.argmax(1).reshape(12, 30).numpy()
    assert (b.classes == expected).mean() > 0.99
    assert np.allclose(b.confidence, probabilities.max(1).values.reshape(12, 30).numpy(), atol=1e-5)
    assert (b.classes != b.classes[::-1]).any()  # the test can tell top from bottom


def test_insights_leave_the_model_training_and_are_deterministic_with_dropout():
    trainer = trained(make_config("circle", samples=100, epochs=2, dropout=0.5))
    model = trainer.model
    model.train()
    first = insights.compute(model, trainer.data, frozenset({"boundary", "confusion"}), (20, 10))
    second = insights.compute(model, trainer.data, frozenset({"boundary", "confusion"}), (20, 10))
    assert model.training and torch.is_grad_enabled()
    assert np.array_equal(first["boundary"].confidence, second["boundary"].confidence)  # eval mode: no dropout
    assert np.array_equal(first["confusion"].matrix, second["confusion"].matrix)


# regression fit --------------------------------------------------------------------------------


def test_fit_of_a_one_input_set_is_a_curve_along_x():
    trainer = trained(make_config("sine", samples=200, epochs=20, lr=0.02, neurons=[32]))
    raw = trainer.data.raw
    fit = insights.fit(trainer.model, trainer.data)
    assert fit.kind == "curve" and fit.x_label == "x" and fit.y_label == "target"
    assert len(fit.x) == len(fit.true) == len(fit.predicted) == 200
    assert np.all(np.diff(fit.x) >= 0)
    pairs = {(float(x), float(y)) for x, y in zip(raw.x[:, 0], raw.y[:, 0])}
    assert all((x, y) in pairs for x, y in zip(fit.x, fit.true))  # the true targets, in data units
    expected = in_data_units(trainer, predict(trainer, fit.x[:, None]))
    assert fit.predicted == pytest.approx(expected, abs=1e-5)
    assert np.corrcoef(fit.true, fit.predicted)[0, 1] > 0.6


def test_fit_of_ordered_data_is_a_series_in_time_order():
    trainer = trained(make_config("daily-views", samples=200, epochs=5))
    raw = trainer.data.raw
    assert raw.ordered and raw.features > 1
    fit = insights.fit(trainer.model, trainer.data)
    assert fit.kind == "series" and fit.x_label == "sample (in time order)"
    assert fit.x.tolist() == list(range(raw.samples))
    assert fit.true.tolist() == raw.y[:, 0].astype(np.float64).tolist()
    assert fit.predicted == pytest.approx(in_data_units(trainer, predict(trainer, raw.x)), abs=1e-4)


def test_fit_spreads_at_most_fit_points(monkeypatch):
    monkeypatch.setattr(insights, "FIT_POINTS", 50)
    trainer = trained(make_config("sine", samples=300, epochs=1))
    fit = insights.fit(trainer.model, trainer.data)
    assert len(fit.x) == 50 and np.all(np.diff(fit.x) >= 0)
    assert fit.x[0] == trainer.data.raw.x[:, 0].min() and fit.x[-1] == trainer.data.raw.x[:, 0].max()


def test_fit_of_a_multi_input_set_is_a_scatter_in_data_units():
    trainer = trained(make_config("diabetes", epochs=10))
    data = trainer.data
    assert data.raw.features == 10 and not data.raw.ordered
    fit = insights.fit(trainer.model, data)
    assert fit.kind == "scatter" and (fit.x_label, fit.y_label) == ("true", "predicted")
    assert len(fit.true) == len(data.x_val) == 88  # every validation sample (fewer than FIT_POINTS)
    assert np.array_equal(fit.x, fit.true)
    # diabetes progression runs from 25 to 346: values are in those units, not standardized
    assert set(np.rint(fit.true).astype(int)) <= set(np.rint(data.raw.y[:, 0]).astype(int))
    assert 25 - 1e-3 <= fit.true.min() and fit.true.max() <= 346 + 1e-3 and fit.true.std() > 30
    assert 25 <= fit.predicted.mean() <= 346
    # the mean absolute error of the drawn points is the trainer's validation MAE
    assert np.abs(fit.predicted - fit.true).mean() == pytest.approx(trainer.history[-1].val_mae, rel=1e-4)


# confusion matrix ------------------------------------------------------------------------------


def test_confusion_on_the_validation_split():
    trainer = trained(make_config("iris", epochs=10, lr=0.02))
    data = trainer.data
    c = insights.confusion(trainer.model, data)
    assert c.split == "validation" and c.class_names == ["setosa", "versicolor", "virginica"]
    assert c.matrix.shape == (3, 3) and c.matrix.sum() == len(data.x_val) == 30
    assert c.accuracy == pytest.approx(trainer.history[-1].val_acc)
    assert c.accuracy == pytest.approx(trainer.measure(data.x_val, data.y_val)["acc"])
    truth = data.y_val.numpy()
    predicted = predict_standardized(trainer, data.x_val)
    assert c.matrix.sum(axis=1).tolist() == np.bincount(truth, minlength=3).tolist()  # rows: true classes
    assert c.matrix.sum(axis=0).tolist() == np.bincount(predicted, minlength=3).tolist()  # columns: predicted
    for k in range(3):
        assert c.recall[k] == pytest.approx(((predicted == k) & (truth == k)).sum() / (truth == k).sum())


def predict_standardized(trainer: Trainer, x: torch.Tensor) -> np.ndarray:
    trainer.model.eval()
    with torch.no_grad():
        return trainer.model(x).argmax(1).numpy()


def test_confusion_falls_back_to_the_training_split():
    config = make_config("circle", samples=100, epochs=2)
    config.data.val_split = 0.0
    trainer = trained(config)
    assert len(trainer.data.x_val) == 0 and trainer.history[-1].val_acc is None
    c = insights.confusion(trainer.model, trainer.data)
    assert c.split == "training" and c.matrix.sum() == len(trainer.data.x_train) == 100
    assert c.accuracy == pytest.approx(trainer.measure(trainer.data.x_train, trainer.data.y_train)["acc"])


def test_confusion_accuracy_properties():
    c = Confusion(np.array([[3, 1, 0], [0, 0, 0], [2, 0, 4]]), ["a", "b", "c"], "validation", 10)
    assert c.accuracy == pytest.approx(7 / 10)
    per_class = c.recall
    assert per_class[0] == pytest.approx(0.75) and np.isnan(per_class[1]) and per_class[2] == pytest.approx(4 / 6)
    assert np.isnan(Confusion(np.zeros((2, 2), dtype=np.int64), ["a", "b"], "training", 0).accuracy)


def test_confusion_counts_at_most_confusion_samples(monkeypatch):
    trainer = trained(make_config("iris", epochs=2))
    monkeypatch.setattr(insights, "CONFUSION_SAMPLES", 7)
    c = insights.confusion(trainer.model, trainer.data)
    assert c.matrix.sum() == 7 and c.split_size == len(trainer.data.x_val) == 30


# which insights apply ----------------------------------------------------------------------------


def test_why_not():
    assert why_not("boundary", "classification", 2) is None
    assert why_not("fit", "regression", 1) is None and why_not("fit", "regression", 10) is None
    assert why_not("confusion", "classification", 64) is None
    assert why_not("boundary", "regression", 2) is None  # the predicted value over the plane
    assert why_not("boundary", "regression", 7) == (
        "the predicted value over the plane needs 2 input features (this data set has 7)")
    assert why_not("boundary", "classification", 3) == (
        "the decision boundary needs 2 input features (this data set has 3)")
    assert "(this data set has 1)" in why_not("boundary", "classification", 1)
    assert why_not("fit", "classification", 2) == (
        "the regression fit is for regression data sets (this one is classification)")
    assert why_not("confusion", "regression", 2) == (
        "the confusion matrix is for classification data sets (this one is regression)")


ALL = frozenset({"boundary", "fit", "confusion"})


@pytest.mark.parametrize(("dataset", "applies"), [
    ("circle", {"boundary", "confusion"}),
    ("iris", {"confusion"}),  # 4 inputs: no boundary
    ("plane", {"boundary", "fit"}),  # 2 inputs: the predicted value over the plane
    ("sine", {"fit"}),
])
def test_compute_skips_insights_that_do_not_apply(dataset, applies):
    trainer = trained(make_config(dataset, samples=60, epochs=1))
    result = insights.compute(trainer.model, trainer.data, ALL, (16, 8))
    assert set(result) == applies
    for kind in ALL:
        assert (why_not(kind, trainer.data.task, trainer.data.inputs) is None) == (kind in applies)
    if "boundary" in result:
        plane = result["boundary"]
        assert (plane.classes if dataset == "circle" else plane.values).shape == (8, 16)
    assert insights.compute(trainer.model, trainer.data, frozenset(), (16, 8)) == {}


# layer norms and vanishing gradients -------------------------------------------------------------


def test_layer_norms_before_and_after_a_backward():
    torch.manual_seed(0)
    model = build_model(ModelConfig(layers=3, neurons=[8]), 2, 2)
    weights, grads = layer_norms(model)
    assert len(weights) == len(grads) == 4
    assert grads == [0.0] * 4 and all(w > 0 for w in weights)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert weights == pytest.approx([float(m.weight.detach().norm()) for m in linears])
    model(torch.randn(5, 2)).sum().backward()
    weights_after, grads = layer_norms(model)
    assert weights_after == weights and all(g > 0 for g in grads)
    assert grads == pytest.approx([float(m.weight.grad.norm()) for m in linears])
    assert layer_norms(torch.nn.Sequential(torch.nn.ReLU())) == ([], [])


# After one epoch on the spiral with 6 hidden layers of 16 (adam, lr 0.01, batch 32), the first layer's
# gradient norm over the last one's, per seed 0..3 (torch 2.13, CPU):
#   sigmoid: 3.0e-5, 1.6e-5, 5.8e-6, 9.1e-6  (e.g. seed 0: 1.6e-6 at layer 1, 0.052 at layer 7)
#   relu:    0.10,   6.5e-3, 4.8e-3, 0.036
# so sigmoid gradients vanish towards the input; with ReLU they reach it hundreds of times stronger.
def gradient_ratio(activation: str, seed: int) -> float:
    trainer = trained(make_config("spiral", samples=200, epochs=1, layers=6, neurons=[16], activation=activation,
                                  seed=seed))
    grads = trainer.history[-1].grad_norms
    assert len(grads) == 7 and grads == layer_norms(trainer.model)[1]
    return grads[0] / grads[-1]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_deep_sigmoid_gradients_vanish_relu_ones_do_not(seed):
    sigmoid, relu = gradient_ratio("sigmoid", seed), gradient_ratio("relu", seed)
    assert sigmoid < 1e-3 and sigmoid < 0.1
    assert relu > 100 * sigmoid


# the trainer's probes ----------------------------------------------------------------------------


class Events:
    def __init__(self, trainer: Trainer):
        self.all: list = []
        trainer.subscribe(self.all.append)

    def of(self, kind) -> list:
        return [e for e in self.all if isinstance(e, kind)]


def probing(dataset: str, probes: set[str], epochs: int = 3, samples: int = 80, **kw) -> tuple[Trainer, Events]:
    trainer = Trainer(make_config(dataset, samples=samples, epochs=epochs, **kw))
    trainer.probes = frozenset(probes)
    trainer.probe_size = (30, 10)
    return trainer, Events(trainer)


def test_no_probes_no_insight_events():
    trainer, events = probing("circle", set())
    assert trainer.run().status == "completed"
    assert events.of(InsightsReady) == []


def test_probes_arrive_and_the_last_comes_after_the_final_epoch():
    trainer, events = probing("circle", {"boundary", "confusion"})
    assert trainer.run().status == "completed"
    ready = events.of(InsightsReady)
    assert ready
    last_epoch_end = max(i for i, e in enumerate(events.all) if isinstance(e, EpochEnded))
    final = ready[-1]
    assert events.all.index(final) > last_epoch_end and isinstance(events.all[-1], RunFinished)
    assert final.epoch == 3 and final.error == ""
    assert set(final.insights) == {"boundary", "confusion"}
    assert final.insights["boundary"].classes.shape == (10, 30)
    assert final.insights["confusion"].matrix.sum() == 16
    assert all(e.epoch in (1, 2, 3) for e in ready)


def test_probes_every_epoch_without_throttling(monkeypatch):
    monkeypatch.setattr(probe_budget, "PROBE_INTERVAL_S", 0.0)
    monkeypatch.setattr(probe_budget, "PROBE_SHARE", 1e9)  # however long they take
    trainer, events = probing("sine", {"fit"}, epochs=4)
    trainer.run()
    assert [e.epoch for e in events.of(InsightsReady)] == [1, 2, 3, 4, 4]  # each epoch, then the final one
    assert all(e.insights["fit"].kind == "curve" for e in events.of(InsightsReady))


def test_throttled_probes_give_the_first_epoch_and_the_final_one(monkeypatch):
    # The first epoch's views come at once (nothing was drawn yet); after that the interval holds them back,
    # and the final views are forced when the run ends.
    monkeypatch.setattr(probe_budget, "PROBE_INTERVAL_S", 1e9)
    trainer, events = probing("circle", {"confusion"}, epochs=5)
    trainer.run()
    assert [e.epoch for e in events.of(InsightsReady)] == [1, 5]


def test_costly_probes_come_less_often(monkeypatch):
    """Views that take long to compute are spaced out so they take at most PROBE_SHARE of the time."""
    monkeypatch.setattr(probe_budget, "PROBE_INTERVAL_S", 0.0)
    trainer, events = probing("circle", {"confusion"}, epochs=6)
    compute = trainer.insights

    def slow(kinds):
        time.sleep(0.05)
        return compute(kinds)

    trainer.insights = slow
    trainer.run()
    # 50 ms per probe at a 3% share, keeping room for the final one, needs 5 s of training for the second one:
    # only the first epoch's and the final views arrive.
    assert [e.epoch for e in events.of(InsightsReady)] == [1, 6]
    assert trainer.probe_budget.cost >= 0.05


def test_probes_and_the_final_one_stay_within_their_share_of_a_run():
    budget, now, trained, share = probe_budget.ProbeBudget(), 0.0, 0.0, probe_budget.PROBE_SHARE
    for _epoch in range(400):  # 0.1 s epochs of a 40 s run, each probe 50 ms
        trained += 0.1
        now += 0.1
        if budget.due(now, trained):
            budget.took(now, 0.05)
            now += 0.05
    first = 0.05  # taken at once, before its cost is known
    assert budget.spent - first + budget.cost <= share * trained  # the final one forced at the end fits
    assert budget.spent >= share * trained - 3 * budget.cost  # and the share is used, not wasted
    resumed = probe_budget.ProbeBudget(origin=3600.0)  # an hour trained before: no burst of probes
    resumed.took(0.0, 0.05)
    assert not resumed.due(1.0, 3601.0)


def test_views_shown_again_after_a_long_time_hidden_bring_no_burst_of_probes():
    budget = probe_budget.ProbeBudget()
    budget.took(0.0, 0.3)  # one probe, then an hour with the views hidden (no probe asked for)
    now = trained = 3600.0
    probes = 0
    for _epoch in range(1200):  # the views shown again: 60 s of 0.05 s epochs
        now += 0.05
        trained += 0.05
        if budget.due(now, trained):
            budget.took(now, 0.3)
            now += 0.3
            probes += 1
    assert probes <= 2 + 60 * probe_budget.PROBE_SHARE / 0.3 + 1  # the saved credit is a few probes, not hours'


def test_probes_forced_by_steps_while_paused_are_not_charged():
    budget = probe_budget.ProbeBudget()
    budget.took(0.0, 0.05)
    for step in range(40):  # n pressed 40 times while paused: each step's views at once
        budget.took(1.0 + step, 0.05, forced=True)
    assert budget.spent == 0.05
    assert budget.due(60.0, 10.0)  # resumed: the views come as the share allows, not a minute later


def test_a_probe_waits_until_it_and_the_final_one_both_fit_the_share():
    # After a first probe of 0.3 s, the second may run once 0.3 s spent + 0.3 s for it + 0.3 s for the final one
    # fit PROBE_SHARE of the training time; counting only its own cost would let it run a third earlier.
    share = probe_budget.PROBE_SHARE
    for origin in (0.0, 100.0):  # a resumed run's earlier training time buys nothing
        budget, now = probe_budget.ProbeBudget(origin=origin), 1000.0  # long after the last one: only the share holds
        budget.took(0.0, 0.3)
        boundary = origin + (0.3 + 2 * 0.3) / share  # 30 s trained in this account
        assert not budget.due(now, origin + (0.3 + 0.3) / share + 1.0)  # its own cost fits, the final one's not
        assert not budget.due(now, boundary - 0.01)
        assert budget.due(now, boundary + 0.01)
        budget.took(now, 0.3)  # spent 0.6 s: the next needs (0.6 + 2 * 0.3) / share = 40 s
        assert not budget.due(now + 1.0, origin + (0.6 + 2 * 0.3) / share - 0.01)
        assert budget.due(now + 1.0, origin + (0.6 + 2 * 0.3) / share + 0.01)


def test_probes_that_do_not_apply_give_empty_insights():
    trainer, events = probing("sine", {"boundary", "confusion"}, epochs=2)
    assert trainer.run().status == "completed"
    ready = events.of(InsightsReady)
    assert ready and all(e.insights == {} and e.error == "" for e in ready)


def test_failing_insights_are_reported_and_the_run_completes(monkeypatch):
    def broken(*args):
        raise RuntimeError("cannot draw")

    monkeypatch.setattr(trainer_module, "compute_insights", broken)
    trainer, events = probing("circle", {"boundary"})
    finished = trainer.run()
    assert finished.status == "completed" and trainer.epoch == 3
    ready = events.of(InsightsReady)
    assert ready and ready[-1].epoch == 3
    assert all(e.error == "RuntimeError: cannot draw" and e.insights == {} for e in ready)


def test_a_run_diverging_in_its_first_epoch_sends_no_insights():
    trainer = Trainer(make_config("plane", samples=100, epochs=3, optimizer="sgd", lr=100))
    trainer.probes = frozenset({"fit"})
    events = Events(trainer)
    assert trainer.run().status == "diverged" and trainer.epoch == 0
    assert events.of(InsightsReady) == []


def test_a_diverged_run_sends_no_final_insights(monkeypatch):
    monkeypatch.setattr(probe_budget, "PROBE_INTERVAL_S", 0.0)
    monkeypatch.setattr(probe_budget, "PROBE_SHARE", 1e9)
    trainer, events = probing("plane", {"fit"}, epochs=6, samples=100, optimizer="sgd", lr=0.01)
    trainer.subscribe(lambda e: trainer.set_lr(100) if isinstance(e, EpochEnded) and e.metrics.epoch == 2 else None)
    assert trainer.run().status == "diverged" and trainer.epoch == 2
    assert [e.epoch for e in events.of(InsightsReady)] == [1, 2]  # no forced one for the broken weights


def test_stopped_run_sends_final_insights_for_its_last_epoch():
    trainer, events = probing("circle", {"confusion"}, epochs=6)
    trainer.subscribe(lambda e: trainer.stop() if isinstance(e, EpochEnded) and e.metrics.epoch == 2 else None)
    assert trainer.run().status == "stopped"
    ready = events.of(InsightsReady)
    assert ready[-1].epoch == 2 and "confusion" in ready[-1].insights


def test_insights_on_an_idle_trainer():
    trainer = trained(make_config("circle", samples=80, epochs=1))
    trainer.probe_size = (12, 6)
    result = trainer.insights(frozenset({"boundary"}))
    assert result["boundary"].classes.shape == (6, 12)
