"""The data set registry: every registered set loads; synthetic sets are seeded."""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.registry import REGISTRY, load_raw
from tui_dl.engine.errors import DataError

# name: (task, features, classes or None for regression)
EXPECTED = {
    "circle": ("classification", 2, 2),
    "xor": ("classification", 2, 2),
    "gauss": ("classification", 2, 2),
    "spiral": ("classification", 2, 2),
    "plane": ("regression", 2, None),
    "gauss-bumps": ("regression", 2, None),
    "sine": ("regression", 1, None),
    "piecewise": ("regression", 1, None),
    "daily-views": ("regression", 7, None),
    "digits": ("classification", 64, 10),
    "iris": ("classification", 4, 3),
    "wine": ("classification", 13, 3),
    "breast-cancer": ("classification", 30, 2),
    "diabetes": ("regression", 10, None),
}
SYNTHETIC = [name for name, spec in REGISTRY.items() if "samples" in spec.knobs]


def test_the_issues_data_sets_are_registered():
    missing = set(EXPECTED) - set(REGISTRY)
    assert not missing
    assert all(name in REGISTRY for name in EXPECTED)
    assert "mnist-but-not-really" not in REGISTRY


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_data_set_loads(name):
    spec = REGISTRY[name]
    raw = load_raw(DataConfig(dataset=name, samples=100))
    assert raw.task == spec.task
    assert raw.x.dtype == np.float32 and raw.x.ndim == 2
    assert raw.samples == len(raw.y) >= 10
    assert np.all(np.isfinite(raw.x))
    assert len(raw.feature_names) == raw.features
    if raw.task == "classification":
        assert raw.y.dtype == np.int64 and raw.y.ndim == 1
        assert set(np.unique(raw.y)) == set(range(len(raw.class_names)))
        assert all(type(c) is str for c in raw.class_names)  # plain str, so checkpoints can hold them
        assert raw.outputs == len(raw.class_names)
    else:
        assert raw.y.dtype == np.float32 and raw.y.ndim == 2
        assert raw.class_names == []
        assert raw.outputs == raw.y.shape[1] == 1
    if name in EXPECTED:
        task, features, classes = EXPECTED[name]
        assert (raw.task, raw.features) == (task, features)
        if classes is not None:
            assert len(raw.class_names) == classes
    if "samples" in spec.knobs:
        assert raw.samples == 100


def test_shipped_sets_have_their_known_sizes():
    assert load_raw(DataConfig(dataset="digits")).samples == 1797
    assert load_raw(DataConfig(dataset="iris")).samples == 150
    iris = load_raw(DataConfig(dataset="iris"))
    assert iris.name == "iris" and "Iris" in iris.source


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_sets_are_deterministic_for_a_seed(name):
    a = load_raw(DataConfig(dataset=name, samples=80, noise=0.3, seed=5))
    b = load_raw(DataConfig(dataset=name, samples=80, noise=0.3, seed=5))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    c = load_raw(DataConfig(dataset=name, samples=80, noise=0.3, seed=6))
    assert not (np.array_equal(a.x, c.x) and np.array_equal(a.y, c.y))


@pytest.mark.parametrize("name", SYNTHETIC)
def test_noise_changes_synthetic_sets(name):
    clean = load_raw(DataConfig(dataset=name, samples=80, noise=0.0, seed=1))
    noisy = load_raw(DataConfig(dataset=name, samples=80, noise=0.8, seed=1))
    assert clean.x.shape == noisy.x.shape
    assert not (np.allclose(clean.x, noisy.x) and np.allclose(clean.y, noisy.y))


def test_noise_widens_gauss_clouds():
    clean = load_raw(DataConfig(dataset="gauss", samples=400, noise=0.0))
    noisy = load_raw(DataConfig(dataset="gauss", samples=400, noise=1.0))
    assert noisy.x.std() > clean.x.std() * 1.3


def test_synthetic_classes_are_balanced():
    raw = load_raw(DataConfig(dataset="spiral", samples=101))
    assert sorted(np.bincount(raw.y).tolist()) == [50, 51]


@pytest.mark.parametrize("window", [1, 7, 30])
def test_daily_views_window_sets_feature_count(window):
    raw = load_raw(DataConfig(dataset="daily-views", samples=50, window=window))
    assert raw.features == window
    assert raw.samples == 50
    # the target of sample i is the input of sample i + 1's last day
    np.testing.assert_allclose(raw.y[:-1, 0], raw.x[1:, -1])


def test_task_override_that_does_not_apply():
    with pytest.raises(DataError, match="spiral is a classification data set; --task regression does not apply"):
        load_raw(DataConfig(dataset="spiral", task="regression"))
    assert load_raw(DataConfig(dataset="plane", task="regression", samples=20)).task == "regression"


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(DataError) as info:
        load_raw(DataConfig(dataset="mnist-ish"))
    message = str(info.value)
    assert "unknown data set 'mnist-ish'" in message
    for name in REGISTRY:
        assert name in message
