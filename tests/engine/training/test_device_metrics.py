"""Device selection."""

from __future__ import annotations

import pytest
import torch

from tui_dl.engine.training.device import available_devices, describe_device, resolve_device
from tui_dl.ui.devices import detect as real_detect
from tui_dl.engine.errors import UserError


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



def test_the_ui_asks_a_child_process_for_the_devices():
    # `real_detect` was imported before the devices_here fixture replaced it for the UI tests.
    found = real_detect()
    assert found["devices"] == available_devices() and found["auto"] == describe_device(resolve_device("auto"))
