"""The hidden neurons' views: a one-input model as pieces, and each neuron's map over the plane."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import make_config
from torch import nn

from tui_dl.engine.insights import compute as insights, plane, neurons
from tui_dl.engine.insights.views import Unavailable, model_why_not, why_not
from tui_dl.engine.training.trainer import Trainer


def trained(config) -> Trainer:
    trainer = Trainer(config)
    assert trainer.run().status == "completed"
    return trainer


def predict(trainer: Trainer, x: np.ndarray) -> np.ndarray:
    """The model's first output in data units at data-unit inputs `x`, computed here independently."""
    data = trainer.data
    t = (torch.as_tensor(x, dtype=torch.float32) - data.x_mean) / data.x_std
    trainer.model.eval()
    with torch.no_grad():
        return (trainer.model(t)[:, 0].double() * data.y_std[0] + data.y_mean[0]).numpy()


@pytest.mark.parametrize(("layers", "width", "activation"), [(1, 3, "sigmoid"), (1, 30, "sigmoid"),
                                                              (1, 8, "relu"), (2, 12, "tanh")])
def test_pieces_sum_to_the_model_output(layers, width, activation):
    trainer = trained(make_config("sine", samples=200, epochs=3, layers=layers, neurons=[width],
                                  activation=activation))
    p = neurons.pieces(trainer.model, trainer.data)
    shown = min(width, neurons.PIECES_SHOWN)
    assert p.pieces.shape == (shown, neurons.PIECE_POINTS) and len(p.neurons) == shown
    assert p.total == width and p.layer == layers and p.activation == activation
    assert np.all(np.diff(p.x) > 0) and p.x[0] == trainer.data.raw.x.min() and p.x[-1] == trainer.data.raw.x.max()
    np.testing.assert_allclose(p.output, predict(trainer, p.x[:, None]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(p.constant + p.pieces.sum(axis=0) + p.rest, p.output, rtol=1e-5, atol=1e-5)
    if width <= neurons.PIECES_SHOWN:
        assert sorted(p.neurons) == list(range(1, width + 1)) and np.all(p.rest == 0)
    swings = np.ptp(p.pieces, axis=1)
    assert np.all(np.diff(swings) <= 1e-12)  # the biggest swings first


def test_each_piece_is_c_times_the_activation_of_its_neuron():
    trainer = trained(make_config("sine", samples=120, epochs=2, layers=1, neurons=[5], activation="sigmoid"))
    p = neurons.pieces(trainer.model, trainer.data)
    hidden, output = trainer.model[0], trainer.model[2]
    data = trainer.data
    x = (torch.as_tensor(p.x[:, None], dtype=torch.float32) - data.x_mean) / data.x_std
    with torch.no_grad():
        for piece, neuron in zip(p.pieces, p.neurons):
            i = neuron - 1
            expected = output.weight[0, i] * torch.sigmoid(x[:, 0] * hidden.weight[i, 0] + hidden.bias[i]) * data.y_std[0]
            np.testing.assert_allclose(piece, expected.double().numpy(), rtol=1e-5, atol=1e-6)
        assert p.constant == pytest.approx(float(output.bias[0] * data.y_std[0] + data.y_mean[0]), rel=1e-6)
    assert len(p.points_x) == len(p.points_y) <= neurons.PIECE_DATA_POINTS and p.x_label == "x"


def test_neuron_maps_are_each_hidden_units_activation():
    trainer = trained(make_config("xor", samples=150, epochs=3, layers=2, neurons=[6, 5], activation="tanh"))
    model, data = trainer.model, trainer.data
    maps = neurons.neuron_maps(model, data, 14, 10)
    assert maps.widths == [6, 5] and maps.activation == "tanh" and [len(n) for n in maps.neurons] == [6, 5]
    assert [m.shape for m in maps.layers] == [(6, 10, 14), (5, 10, 14)]
    gx = np.linspace(*maps.x_range, 14)
    gy = np.linspace(maps.y_range[1], maps.y_range[0], 10)  # row 0 is the top
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    x = (torch.as_tensor(grid, dtype=torch.float32) - data.x_mean) / data.x_std
    seen = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))
             for m in model if isinstance(m, nn.Tanh)]
    model.eval()
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    for layer, (activations, numbers) in enumerate(zip(maps.layers, maps.neurons)):
        for tile, neuron in zip(activations, numbers):
            np.testing.assert_allclose(tile, seen[layer][:, neuron - 1].reshape(10, 14).double().numpy(),
                                       rtol=1e-5, atol=1e-6)
        after = [m for m in model if isinstance(m, nn.Linear)][layer + 1]
        importance = torch.linalg.vector_norm(after.weight.detach(), dim=0)[torch.tensor(numbers) - 1]
        assert torch.all(importance[:-1] >= importance[1:])  # largest outgoing weights first
    expected = plane.boundary(model, data, 14, 10)
    np.testing.assert_array_equal(maps.output.classes, expected.classes)
    assert maps.output.feature_names == ["x1", "x2"]


def test_neuron_maps_show_at_most_map_neurons_per_layer(monkeypatch):
    monkeypatch.setattr(neurons, "MAP_NEURONS", 4)
    trainer = trained(make_config("plane", samples=80, epochs=1, layers=1, neurons=[9]))
    maps = neurons.neuron_maps(trainer.model, trainer.data, 8, 6)
    assert maps.widths == [9] and maps.layers[0].shape == (4, 6, 8) and len(maps.neurons[0]) == 4
    assert maps.output.values.shape == (6, 8)  # a regression set's output map is its predicted value


def test_which_neuron_views_apply():
    assert why_not("pieces", "regression", 1) is None and why_not("neurons", "classification", 2) is None
    assert why_not("neurons", "regression", 2) is None
    assert why_not("pieces", "classification", 1) == (
        "neurons as pieces are for regression on one input (this data set is classification with 1 input)")
    assert "with 7 inputs" in why_not("pieces", "regression", 7)
    assert why_not("neurons", "regression", 1) == "neuron maps need 2 input features (this data set has 1)"
    assert why_not("landscape", "classification", 784) is None and why_not("landscape", "regression", 1) is None
    assert model_why_not("pieces", 0) == model_why_not("neurons", 0) and "no hidden layer" in model_why_not("pieces", 0)
    assert model_why_not("pieces", 1) is None and model_why_not("landscape", 0) is None


def test_a_model_without_hidden_layers_has_no_neurons_to_show():
    trainer = trained(make_config("sine", samples=60, epochs=1, layers=0))
    result = insights.compute(trainer.model, trainer.data, frozenset({"pieces", "landscape", "neurons"}), (10, 6))
    assert set(result) == {"pieces", "landscape"}  # neuron maps do not apply to a 1-D set at all
    assert isinstance(result["pieces"], Unavailable) and "no hidden layer" in result["pieces"].reason
    assert result["landscape"].kind == "line"
    assert neurons.hidden_layers(trainer.model) == 0
