"""Turning a loaded data set into standardized train / validation / test tensors (with the model's input
features) on the device."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.features import check_inputs, expand
from tui_dl.engine.data.rawdata import RawData
from tui_dl.engine.errors import DataError
from tui_dl.i18n import _


@dataclass
class PreparedData:
    """Split, standardized tensors already on the training device.

    Their columns are the model's inputs: the data's own, or the input `features` computed from them (then
    `x_mean` and `x_std` are those columns' statistics, and `input_mean` and `input_std` the data's own
    inputs'). `encode` turns rows in data units into such inputs.
    """

    raw: RawData
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_mean: torch.Tensor
    x_std: torch.Tensor
    y_mean: torch.Tensor
    y_std: torch.Tensor
    fill_values: dict[str, float] = field(default_factory=dict)  # a CSV's numbers: training-split median by name
    features: list[str] = field(default_factory=list)  # the model's input features (engine.data.features); [] = none
    input_mean: torch.Tensor | None = None  # the data's inputs' training-split statistics (x_mean without features)
    input_std: torch.Tensor | None = None

    @property
    def task(self) -> str:
        return self.raw.task

    @property
    def inputs(self) -> int:
        """The model's input width (the data set's own inputs are `raw.features`)."""
        return int(self.x_train.shape[1])

    @property
    def outputs(self) -> int:
        return self.raw.outputs

    @property
    def device(self) -> torch.device:
        return self.x_train.device

    def encode(self, x: np.ndarray) -> torch.Tensor:
        """Rows in data units (host) as the model's inputs on the device: the features, then standardized."""
        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        return (expand(t, self.features) - self.x_mean.to(self.device)) / self.x_std.to(self.device)


def split_indices(n: int, cfg: DataConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded permutation cut into train, validation and test index arrays."""
    order = np.random.default_rng(cfg.seed + 1).permutation(n)
    n_val, n_test = int(round(n * cfg.val_split)), int(round(n * cfg.test_split))
    if cfg.val_split > 0:
        n_val = max(n_val, 1)
    if cfg.test_split > 0:
        n_test = max(n_test, 1)
    n_train = n - n_val - n_test
    if n_train < 2:
        raise DataError(_("only {n_train} training samples remain after the validation/test split of {n} samples").format(
                            n_train=n_train, n=n))
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]


def fill_missing(raw: RawData, train: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """`raw.x` with each number's NaN replaced by the median of its training rows; and those medians by name.

    Computed after the split, from training rows only, so nothing of the validation or test rows leaks in.
    """
    if raw.plan is None:
        return raw.x, {}
    x, fill = raw.x, {}
    for j, name in raw.plan.value_features():
        known = x[train, j][~np.isnan(x[train, j])]
        fill[name] = float(np.median(known)) if len(known) else 0.0
        gaps = np.isnan(x[:, j])
        if gaps.any():
            x = x.copy() if x is raw.x else x
            x[gaps, j] = fill[name]
    return x, fill


def prepare(raw: RawData, cfg: DataConfig, device: torch.device, features: Sequence[str] = ()) -> PreparedData:
    """Split, fill in missing numbers, compute the input `features` (once, on `device`), standardize with
    training-split statistics; the splits are moved to `device` once."""
    check_inputs(list(features), raw.features, raw.name)
    train, val, test = split_indices(raw.samples, cfg)
    filled, fill_values = fill_missing(raw, train)
    x = torch.from_numpy(np.ascontiguousarray(filled, dtype=np.float32))
    input_mean, input_std = _statistics(x[train])
    if features:  # 2-D data only, so small: computed where it will live
        x = expand(x.to(device), list(features))
    regression = raw.task == "regression"
    y = torch.from_numpy(np.ascontiguousarray(raw.y, dtype=np.float32 if regression else np.int64))
    x_mean, x_std = (input_mean, input_std) if not features else _statistics(x[train])
    x = (x - x_mean.to(x.device)) / x_std.to(x.device)
    x_mean, x_std = x_mean.cpu(), x_std.cpu()
    if regression:
        y_mean = y[train].mean(0)
        y_std = y[train].std(0, unbiased=False)
        y_std = torch.where(y_std > 1e-8, y_std, torch.ones_like(y_std))
        y = (y - y_mean) / y_std
    else:
        y_mean = torch.zeros(1)
        y_std = torch.ones(1)

    def to_device(t: torch.Tensor, idx: np.ndarray) -> torch.Tensor:
        return t[torch.from_numpy(idx).to(t.device)].to(device)

    return PreparedData(
        raw=raw,
        x_train=to_device(x, train), y_train=to_device(y, train),
        x_val=to_device(x, val), y_val=to_device(y, val),
        x_test=to_device(x, test), y_test=to_device(y, test),
        x_mean=x_mean, x_std=x_std, y_mean=y_mean, y_std=y_std, fill_values=fill_values,
        features=list(features), input_mean=input_mean.cpu(), input_std=input_std.cpu(),
    )


def _statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per column: the mean and the deviation (1 where a column is constant, so it is left as it is)."""
    std = x.std(0, unbiased=False)
    return x.mean(0), torch.where(std > 1e-8, std, torch.ones_like(std))
