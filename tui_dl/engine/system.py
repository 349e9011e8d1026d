"""Sampling system load (CPU, RAM and NVIDIA GPUs) for the live System view.

Cheap enough to call about once a second from the UI thread; `SystemMonitor.sample` never raises.
NVIDIA GPUs are read through NVML (the optional `nvidia-ml-py` package, module `pynvml`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

from tui_dl.i18n import _

GIB = 1024 ** 3
NAME_WIDTH = 20  # a GPU name longer than this is cut in the compact line


@dataclass(frozen=True)
class GpuStats:
    """One NVIDIA GPU; a field NVML could not read is None (memory: 0)."""

    index: int
    name: str
    utilization: float | None  # percent 0..100
    memory_used: int  # bytes
    memory_total: int  # bytes
    temperature: float | None  # degrees C
    power_w: float | None
    power_limit_w: float | None


@dataclass(frozen=True)
class SystemStats:
    """One sample of the machine and of this process."""

    cpu_percent: float  # whole machine, 0..100, since the previous sample
    process_cpu_percent: float  # this process; may exceed 100 on several cores
    cpu_count: int
    ram_used: int  # bytes, machine: total minus available
    ram_total: int
    process_rss: int  # bytes
    gpus: tuple[GpuStats, ...]
    gpu_note: str  # "" when GPU stats are shown, else why not


def _read(default: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, or `default` when the OS refuses (e.g. /proc/stat unreadable on Android)."""
    try:
        return fn(*args)
    except (OSError, psutil.Error):
        return default


class SystemMonitor:
    """Samples CPU, RAM and (through NVML, when present) NVIDIA GPUs."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._cpu_count = _read(None, psutil.cpu_count) or 1
        self._nvml: Any = None  # the pynvml module once initialised
        self._handles: list[Any] = []
        self._names: list[str] = []
        self._gpu_note: str | None = None  # None until NVML has been tried
        # The first cpu_percent(None) call returns 0.0: prime both so the first sample means something.
        _read(0.0, psutil.cpu_percent, None)
        _read(0.0, self._process.cpu_percent, None)

    def sample(self) -> SystemStats:
        """CPU since the previous sample, memory now, and each GPU. Never raises."""
        ram = _read(None, psutil.virtual_memory)
        with self._process.oneshot():
            process_cpu = _read(0.0, self._process.cpu_percent, None)
            rss = _read(None, self._process.memory_info)
        gpus, note = self._sample_gpus()
        return SystemStats(
            cpu_percent=_read(0.0, psutil.cpu_percent, None),
            process_cpu_percent=process_cpu,
            cpu_count=self._cpu_count,
            ram_used=ram.total - ram.available if ram is not None else 0,
            ram_total=ram.total if ram is not None else 0,
            process_rss=rss.rss if rss is not None else 0,
            gpus=gpus,
            gpu_note=note,
        )

    def close(self) -> None:
        """Shut NVML down if it was started (a later sample starts it again). Safe to call twice."""
        nvml, self._nvml = self._nvml, None
        self._handles, self._names = [], []
        if nvml is not None:
            self._gpu_note = None
            _shutdown(nvml)

    def _sample_gpus(self) -> tuple[tuple[GpuStats, ...], str]:
        try:
            if self._gpu_note is None:
                self._gpu_note = self._start_nvml()
            return tuple(self._gpu(i) for i in range(len(self._handles))), self._gpu_note
        except Exception as exc:  # noqa: BLE001 - a monitor must not take the UI down
            if self._gpu_note is None:  # NVML could not be started: do not try again
                self._gpu_note = _("NVML error: {exc}").format(exc=exc)
            return (), _("GPU query failed: {exc}").format(exc=exc)

    def _start_nvml(self) -> str:
        """Initialise NVML and find the GPUs; the note to show ("" on success)."""
        try:
            import pynvml
        except ImportError:
            return _("nvidia-ml-py not installed")
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError:  # also raised when the NVML library itself is missing
            return _("no NVIDIA driver")
        try:
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            names = [_text(pynvml.nvmlDeviceGetName(h)) for h in handles]
        except pynvml.NVMLError as exc:
            _shutdown(pynvml)
            return _("NVML error: {exc}").format(exc=exc)
        if not handles:
            _shutdown(pynvml)
            return _("no NVIDIA GPU")
        self._nvml, self._handles, self._names = pynvml, handles, names
        return ""

    def _gpu(self, index: int) -> GpuStats:
        nvml, handle = self._nvml, self._handles[index]

        def ask(fn: Callable[..., Any], *args: Any) -> Any:
            try:
                return fn(handle, *args)
            except nvml.NVMLError:  # e.g. power not supported on this board
                return None

        util = ask(nvml.nvmlDeviceGetUtilizationRates)
        memory = ask(nvml.nvmlDeviceGetMemoryInfo)
        temperature = ask(nvml.nvmlDeviceGetTemperature, nvml.NVML_TEMPERATURE_GPU)
        power = ask(nvml.nvmlDeviceGetPowerUsage)
        limit = ask(nvml.nvmlDeviceGetEnforcedPowerLimit)
        return GpuStats(
            index=index,
            name=self._names[index],
            utilization=float(util.gpu) if util is not None else None,
            memory_used=int(memory.used) if memory is not None else 0,
            memory_total=int(memory.total) if memory is not None else 0,
            temperature=float(temperature) if temperature is not None else None,
            power_w=power / 1000 if power is not None else None,
            power_limit_w=limit / 1000 if limit is not None else None,
        )


def _shutdown(nvml: Any) -> None:
    with contextlib.suppress(nvml.NVMLError):
        nvml.nvmlShutdown()


def _text(name: str | bytes) -> str:
    """GPU names are str in recent nvidia-ml-py, bytes in old versions."""
    return name.decode(errors="replace") if isinstance(name, bytes) else name


def format_bytes_gib(n: int) -> str:
    """Bytes as GiB: one decimal below 100 GiB (`3.1`), whole numbers above (`1007`)."""
    gib = n / GIB
    return f"{gib:.1f}" if gib < 99.95 else f"{gib:.0f}"


def format_gpu(gpu: GpuStats) -> str:
    """`GPU0 H100 80GB HBM3 93% 3.1/79.6 GiB 61°C 250/700 W`; unknown fields are left out.

    The vendor prefix is dropped (NVML sees only NVIDIA GPUs) and a long name is cut.
    """
    name = gpu.name.removeprefix("NVIDIA ")
    if len(name) > NAME_WIDTH:
        name = name[:NAME_WIDTH - 1] + "…"
    parts = [f"GPU{gpu.index} {name}"]
    if gpu.utilization is not None:
        parts.append(f"{gpu.utilization:.0f}%")
    if gpu.memory_total:
        parts.append(f"{format_bytes_gib(gpu.memory_used)}/{format_bytes_gib(gpu.memory_total)} GiB")
    if gpu.temperature is not None:
        parts.append(f"{gpu.temperature:.0f}°C")
    if gpu.power_w is not None:
        limit = f"/{gpu.power_limit_w:.0f}" if gpu.power_limit_w is not None else ""
        parts.append(f"{gpu.power_w:.0f}{limit} W")
    return " ".join(parts)


def format_compact(stats: SystemStats) -> str:
    """One line for the training screen, about 100 characters with one GPU:

    `GPU0 H100 80GB HBM3 93% 3.1/79.6 GiB 61°C 250/700 W | CPU 45% (tui-dl 180%) RAM 2.1/15.6 GiB (tui-dl 0.4 GiB)`
    or, without GPU stats, `CPU 45% of 2 cores (tui-dl 180%) RAM 2.1/15.6 GiB (tui-dl 0.4 GiB)`.
    """
    ram = f"RAM {format_bytes_gib(stats.ram_used)}/{format_bytes_gib(stats.ram_total)} GiB"
    rss = format_bytes_gib(stats.process_rss)
    if stats.gpus:
        gpus = " | ".join(map(format_gpu, stats.gpus))
        return f"{gpus} | CPU {stats.cpu_percent:.0f}% (tui-dl {stats.process_cpu_percent:.0f}%) {ram} (tui-dl {rss} GiB)"
    return (_("CPU {cpu:.0f}% of {cores} cores (tui-dl {tui:.0f}%) {ram} (tui-dl {rss} GiB)").format(
                cpu=stats.cpu_percent, cores=stats.cpu_count, tui=stats.process_cpu_percent, ram=ram, rss=rss))
