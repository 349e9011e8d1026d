"""System load sampling: a real sample here, the NVML path through a fake pynvml, and the compact line."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

import pytest

from tui_dl.engine.system import (
    GIB,
    GpuStats,
    SystemMonitor,
    SystemStats,
    format_compact,
)

MIB = 1024 ** 2


class FakeNVMLError(Exception):
    pass


class FakeNvml:
    """The slice of pynvml that SystemMonitor uses, with two GPUs; `fail` names calls that raise NVMLError."""

    NVMLError = FakeNVMLError
    NVML_TEMPERATURE_GPU = 0

    def __init__(self, names=(b"NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"), fail=()):
        self.names = list(names)
        self.fail = set(fail)
        self.calls: dict[str, int] = {}

    def _call(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1
        if name in self.fail:
            raise FakeNVMLError(name)

    def nvmlInit(self):
        self._call("nvmlInit")

    def nvmlShutdown(self):
        self._call("nvmlShutdown")

    def nvmlDeviceGetCount(self):
        self._call("nvmlDeviceGetCount")
        return len(self.names)

    def nvmlDeviceGetHandleByIndex(self, index):
        return f"handle{index}"

    def nvmlDeviceGetName(self, handle):
        return self.names[int(handle[-1])]

    def nvmlDeviceGetUtilizationRates(self, handle):
        self._call("nvmlDeviceGetUtilizationRates")
        return SimpleNamespace(gpu=93 if handle == "handle0" else 7, memory=40)

    def nvmlDeviceGetMemoryInfo(self, handle):
        self._call("nvmlDeviceGetMemoryInfo")
        return SimpleNamespace(used=3 * GIB, total=80 * GIB, free=77 * GIB)

    def nvmlDeviceGetTemperature(self, handle, sensor):
        assert sensor == self.NVML_TEMPERATURE_GPU
        self._call("nvmlDeviceGetTemperature")
        return 61

    def nvmlDeviceGetPowerUsage(self, handle):
        self._call("nvmlDeviceGetPowerUsage")
        return 250_500  # milliwatts

    def nvmlDeviceGetEnforcedPowerLimit(self, handle):
        self._call("nvmlDeviceGetEnforcedPowerLimit")
        return 700_000


@pytest.fixture
def monitor():
    mon = SystemMonitor()
    yield mon
    mon.close()


def install(monkeypatch, fake) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake)


def test_real_sample_is_sane(monitor):
    time.sleep(0.05)
    for _ in range(3):
        stats = monitor.sample()
        assert 0 <= stats.cpu_percent <= 100
        assert stats.process_cpu_percent >= 0
        assert stats.cpu_count >= 1
        assert 0 < stats.ram_used <= stats.ram_total
        assert 0 < stats.process_rss < stats.ram_total
    # This machine has no NVIDIA GPU (and may or may not have nvidia-ml-py).
    assert stats.gpus == ()
    assert stats.gpu_note in ("nvidia-ml-py not installed", "no NVIDIA driver", "no NVIDIA GPU")
    monitor.close()
    monitor.close()


def test_first_sample_measures_cpu_since_construction():
    """cpu_percent is primed in __init__, so busy work before the first sample shows up in it."""
    mon = SystemMonitor()
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    stats = mon.sample()
    mon.close()
    assert stats.process_cpu_percent > 20
    assert stats.cpu_percent > 0


def test_gpu_values_are_converted(monkeypatch, monitor):
    fake = FakeNvml()
    install(monkeypatch, fake)
    stats = monitor.sample()
    assert stats.gpu_note == ""
    assert stats.gpus == (
        GpuStats(0, "NVIDIA H100 80GB HBM3", 93.0, 3 * GIB, 80 * GIB, 61.0, 250.5, 700.0),
        GpuStats(1, "NVIDIA A100-SXM4-40GB", 7.0, 3 * GIB, 80 * GIB, 61.0, 250.5, 700.0),
    )
    assert isinstance(stats.gpus[0].name, str)  # bytes from old pynvml are decoded
    monitor.close()
    monitor.close()
    assert fake.calls["nvmlShutdown"] == 1


def test_a_failing_gpu_field_becomes_none(monkeypatch, monitor):
    install(monkeypatch, FakeNvml(fail={"nvmlDeviceGetPowerUsage", "nvmlDeviceGetTemperature"}))
    gpu = monitor.sample().gpus[0]
    assert gpu.power_w is None
    assert gpu.temperature is None
    assert gpu.utilization == 93.0
    assert gpu.power_limit_w == 700.0
    assert gpu.memory_used == 3 * GIB


def test_failing_memory_query_gives_zero_and_is_not_shown(monkeypatch, monitor):
    install(monkeypatch, FakeNvml(fail={"nvmlDeviceGetMemoryInfo"}))
    stats = monitor.sample()
    assert (stats.gpus[0].memory_used, stats.gpus[0].memory_total) == (0, 0)
    assert "/80.0 GiB" not in format_compact(stats)
    assert "93%" in format_compact(stats)


def test_no_driver_is_noted_and_not_retried(monkeypatch, monitor):
    fake = FakeNvml(fail={"nvmlInit"})
    install(monkeypatch, fake)
    for _ in range(5):
        stats = monitor.sample()
        assert stats.gpus == ()
        assert stats.gpu_note == "no NVIDIA driver"
    assert fake.calls["nvmlInit"] == 1
    monitor.close()
    assert "nvmlShutdown" not in fake.calls


def test_no_gpu_is_noted_and_nvml_shut_down(monkeypatch, monitor):
    fake = FakeNvml(names=())
    install(monkeypatch, fake)
    assert monitor.sample().gpu_note == "no NVIDIA GPU"
    assert monitor.sample().gpus == ()
    assert fake.calls["nvmlInit"] == 1
    assert fake.calls["nvmlShutdown"] == 1


def test_nvml_failing_after_init_is_noted_once_and_shut_down(monkeypatch, monitor):
    fake = FakeNvml(fail={"nvmlDeviceGetCount"})
    install(monkeypatch, fake)
    notes = {monitor.sample().gpu_note for _ in range(3)}
    assert notes == {"NVML error: nvmlDeviceGetCount"}
    assert fake.calls["nvmlInit"] == 1
    assert fake.calls["nvmlShutdown"] == 1


def test_missing_nvidia_ml_py_is_noted(monkeypatch, monitor):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    stats = monitor.sample()
    assert stats.gpus == ()
    assert stats.gpu_note == "nvidia-ml-py not installed"


def test_unexpected_gpu_error_does_not_raise(monkeypatch, monitor):
    fake = FakeNvml()
    install(monkeypatch, fake)
    monitor.sample()
    fake.nvmlDeviceGetUtilizationRates = lambda handle: 1 / 0
    stats = monitor.sample()
    assert stats.gpus == ()
    assert stats.gpu_note.startswith("GPU query failed")
    assert stats.ram_total > 0


def stats_with(gpus: tuple[GpuStats, ...]) -> SystemStats:
    return SystemStats(cpu_percent=45.2, process_cpu_percent=180.4, cpu_count=2, ram_used=int(2.1 * GIB),
                       ram_total=int(15.6 * GIB), process_rss=400 * MIB, gpus=gpus,
                       gpu_note="" if gpus else "no NVIDIA GPU")


def test_format_compact_with_gpu():
    gpu = GpuStats(0, "NVIDIA H100 80GB HBM3", 93.0, int(3.1 * GIB), int(79.6 * GIB), 61.0, 250.4, 700.0)
    line = format_compact(stats_with((gpu,)))
    assert line == ("GPU0 H100 80GB HBM3 93% 3.1/79.6 GiB 61°C 250/700 W | CPU 45% (tui-dl 180%)"
                    " RAM 2.1/15.6 GiB (tui-dl 0.4 GiB)")
    assert len(line) <= 110


def test_format_compact_leaves_out_unknown_gpu_fields():
    gpu = GpuStats(1, "Tesla T4", None, GIB, 15 * GIB, None, None, 70.0)
    line = format_compact(stats_with((gpu,)))
    assert line.startswith("GPU1 Tesla T4 1.0/15.0 GiB | CPU 45%")
    assert "None" not in line
    assert "W" not in line  # a power limit alone is not shown
    assert "°C" not in line


def test_format_compact_fits_with_a_busy_big_machine():
    gpu = GpuStats(0, "NVIDIA H200", 100.0, int(120.2 * GIB), int(140.4 * GIB), 83.0, 699.9, 700.0)
    stats = SystemStats(100.0, 1599.7, 16, 800 * GIB, 2015 * GIB, int(12.3 * GIB), (gpu,), "")
    line = format_compact(stats)
    assert line == "GPU0 H200 100% 120/140 GiB 83°C 700/700 W | CPU 100% (tui-dl 1600%) RAM 800/2015 GiB (tui-dl 12.3 GiB)"
    assert len(line) <= 110


def test_format_compact_without_gpu():
    line = format_compact(stats_with(()))
    assert line == "CPU 45% of 2 cores (tui-dl 180%) RAM 2.1/15.6 GiB (tui-dl 0.4 GiB)"

