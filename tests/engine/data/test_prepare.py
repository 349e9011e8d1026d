"""Splitting and standardization."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.registry import load_raw
from tui_dl.engine.errors import DataError
from tui_dl.engine.data.prepare import prepare, split_indices
from tui_dl.engine.data.rawdata import RawData

CPU = torch.device("cpu")


@pytest.mark.parametrize(("n", "val", "test", "sizes"), [
    (100, 0.2, 0.0, (80, 20, 0)),
    (100, 0.2, 0.1, (70, 20, 10)),
    (10, 0.01, 0.0, (9, 1, 0)),      # a non-zero split keeps at least one sample
    (50, 0.0, 0.0, (50, 0, 0)),
])
def test_split_sizes(n, val, test, sizes):
    train, v, t = split_indices(n, DataConfig(val_split=val, test_split=test))
    assert (len(train), len(v), len(t)) == sizes
    everything = np.concatenate([train, v, t])
    assert sorted(everything.tolist()) == list(range(n))  # a partition: no overlap, nothing lost


def test_split_is_seeded():
    a = split_indices(200, DataConfig(seed=3))
    b = split_indices(200, DataConfig(seed=3))
    c = split_indices(200, DataConfig(seed=4))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], np.sort(a[0]))  # shuffled, not the first rows


def test_too_small_training_split():
    with pytest.raises(DataError, match="only 1 training samples remain"):
        split_indices(3, DataConfig(val_split=0.4, test_split=0.3))


def test_prepare_shapes_and_device():
    cfg = DataConfig(dataset="spiral", samples=200, val_split=0.25, test_split=0.1, seed=2)
    data = prepare(load_raw(cfg), cfg, CPU)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (130, 50, 20)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert data.inputs == 2 and data.outputs == 2 and data.task == "classification"
    assert data.device == CPU


def test_standardization_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[10.0, -3.0, 0.0], scale=[5.0, 0.1, 1.0], size=(300, 3)).astype(np.float32)
    x[:, 2] = 7.0  # a constant column must not divide by zero
    y = (np.arange(300) % 2).astype(np.int64)
    raw = RawData("t", "classification", x, y, ["a", "b", "c"], ["0", "1"])
    cfg = DataConfig(val_split=0.3, seed=1)
    data = prepare(raw, cfg, CPU)
    train_idx, val_idx, _ = split_indices(300, cfg)

    xt = data.x_train.numpy()
    np.testing.assert_allclose(xt[:, :2].mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(xt[:, :2].std(0), 1.0, atol=1e-4)
    assert np.all(xt[:, 2] == 0.0) and torch.all(torch.isfinite(data.x_val))

    # the statistics are the training rows', not the whole set's
    np.testing.assert_allclose(data.x_mean.numpy(), x[train_idx].mean(0), rtol=1e-5)
    assert not np.allclose(data.x_mean.numpy()[:2], x.mean(0)[:2], rtol=1e-6)
    expected_val = (x[val_idx] - data.x_mean.numpy()) / data.x_std.numpy()
    np.testing.assert_allclose(data.x_val.numpy(), expected_val, rtol=1e-4, atol=1e-5)
    assert abs(float(data.x_val[:, 0].mean())) > 1e-4  # val is not re-standardized on its own


def test_regression_targets_are_standardized_with_training_statistics():
    cfg = DataConfig(dataset="plane", samples=200, val_split=0.2)
    raw = load_raw(cfg)
    data = prepare(raw, cfg, CPU)
    assert data.y_train.dtype == torch.float32 and data.y_train.shape == (160, 1)
    np.testing.assert_allclose(data.y_train.mean().item(), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.y_train.std(unbiased=False).item(), 1.0, atol=1e-4)
    train_idx, _, _ = split_indices(200, cfg)
    np.testing.assert_allclose(data.y_mean.numpy(), raw.y[train_idx].mean(0), rtol=1e-4)


def test_prepare_is_reproducible():
    cfg = DataConfig(dataset="circle", samples=100, seed=9)
    a, b = prepare(load_raw(cfg), cfg, CPU), prepare(load_raw(cfg), cfg, CPU)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_val, b.y_val)


def test_missing_numbers_are_filled_with_the_training_splits_median(tmp_path):
    # values 0..99, a quarter missing; the training rows' median differs from the whole column's
    lines = ["a,b,y"] + [f"{'' if i % 4 == 0 else i * i},{i % 3},{i % 2}" for i in range(100)]
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    cfg = DataConfig(dataset=str(tmp_path / "m.csv"), val_split=0.3, seed=2)
    raw = load_raw(cfg)
    assert raw.feature_names == ["a", "a=(missing)", "b"]
    data = prepare(raw, cfg, CPU)
    train, val, _ = split_indices(raw.samples, cfg)
    column = raw.x[:, 0]
    expected = float(np.median(column[train][~np.isnan(column[train])]))
    assert expected != float(np.nanmedian(column))
    assert data.fill_values == {"a": expected, "b": float(np.median(raw.x[train, 2]))}
    filled = data.x_train[:, 0] * data.x_std[0] + data.x_mean[0]
    gaps = torch.from_numpy(np.isnan(column[train]))
    torch.testing.assert_close(filled[gaps], torch.full((int(gaps.sum()),), expected))
    assert torch.all(torch.isfinite(data.x_train)) and torch.all(torch.isfinite(data.x_val))
    val_gaps = torch.from_numpy(np.isnan(column[val]))
    restored = data.x_val[:, 0] * data.x_std[0] + data.x_mean[0]
    torch.testing.assert_close(restored[val_gaps], torch.full((int(val_gaps.sum()),), expected))
    assert np.isnan(raw.x[0, 0])  # the loaded data is not changed in place


def test_data_without_a_plan_has_no_fill_values():
    cfg = DataConfig(dataset="circle", samples=60)
    assert prepare(load_raw(cfg), cfg, CPU).fill_values == {}
