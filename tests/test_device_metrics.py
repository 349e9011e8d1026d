"""Device selection and reading a metric history."""

from __future__ import annotations

import pytest
import torch

from tui_dl.engine.device import available_devices, describe_device, resolve_device
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import EpochMetrics


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    assert describe_device(torch.device("cpu")) == "cpu"
    auto = resolve_device("auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    names = available_devices()
    assert names[:2] == ["auto", "cpu"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_missing_cuda_is_a_user_error():
    with pytest.raises(UserError, match="device cuda:1 is not available: this machine has no CUDA GPU"):
        resolve_device("cuda:1")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_index_out_of_range():
    with pytest.raises(UserError, match="CUDA GPU"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")
    assert describe_device(resolve_device("cuda")).startswith("cuda:0 (")


def _history(val_losses, train_losses):
    return [EpochMetrics(epoch=i + 1, step=i + 1, train_loss=t, val_loss=v, lr=0.01, samples_per_s=1.0, seconds=1.0)
            for i, (v, t) in enumerate(zip(val_losses, train_losses))]


def test_overfit_onset():
    from tui_dl.engine.metrics import overfit_onset

    falling = [1.0 - 0.05 * i for i in range(12)]
    assert overfit_onset(_history(falling, falling)) is None
    turning = [1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8]
    assert overfit_onset(_history(turning, falling[:10])) == 4
    assert overfit_onset(_history(turning[:8], falling[:8])) is None  # not `patience` epochs past the best yet
    # validation got worse but training did not improve either: not overfitting
    assert overfit_onset(_history(turning, [0.5] * 10)) is None
