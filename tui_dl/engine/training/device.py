"""Choosing the training device and describing it."""

from __future__ import annotations

import torch

from tui_dl.engine.errors import UserError
from tui_dl.i18n import _


def out_of_memory_error() -> type[Exception]:
    """The error torch raises when a device runs out of memory: its generic OutOfMemoryError where this torch
    has one, CUDA's in the older releases pyproject.toml allows."""
    return getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)


def release_memory(device: torch.device | None) -> str | None:
    """Give a CUDA device's cached memory back; None, or what went wrong (a sticky CUDA error surfaces here again,
    and must not escape the end of a run)."""
    if device is None or device.type != "cuda":
        return None
    try:
        torch.cuda.empty_cache()
    except Exception as exc:  # noqa: BLE001 - said in the run's final event
        return _("releasing {device}'s memory failed: {kind}: {exc}").format(device=device, kind=type(exc).__name__,
                                                                          exc=exc)
    return None


def available_devices() -> list[str]:
    """Device names a user can pick here: auto, cpu, and each CUDA GPU or MPS."""
    names = ["auto", "cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return names


def resolve_device(name: str) -> torch.device:
    """`auto` means CUDA if available, else Apple MPS, else CPU; explicit names are checked."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(_("device {name} is not available: this machine has no CUDA GPU (use auto or cpu)").format(
                                name=name))
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise UserError(_("device {name} is not available: this machine has {device_count} CUDA GPU(s)").format(
                                name=name, device_count=torch.cuda.device_count()))
    if name == "mps" and not torch.backends.mps.is_available():
        raise UserError(_("device mps is not available on this machine (use auto or cpu)"))
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """A short human name: `cuda:0 (NVIDIA H100 80GB HBM3)`, `cpu`."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return device.type


def free_memory(device: torch.device) -> int | None:
    """Bytes free for a run on `device`: available RAM for the CPU, free memory of a CUDA GPU (None: unknown)."""
    if device.type == "cpu":
        import psutil

        return int(psutil.virtual_memory().available)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    return None


def detected() -> dict:
    """What the UI offers: the device names and what `auto` means here."""
    return {"devices": available_devices(), "auto": describe_device(resolve_device("auto"))}


if __name__ == "__main__":  # `python -m tui_dl.engine.training.device`: the UI asks in a child process, torch stays out
    import json

    print(json.dumps(detected()))
