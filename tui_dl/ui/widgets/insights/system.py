"""The system view: CPU, RAM and GPU facts and utilization over the last two minutes."""

from __future__ import annotations

from collections import deque

from tui_dl.i18n import _
from tui_dl.ui.widgets.charts import MARKER, ThemedPlot

SYSTEM_HISTORY = 120  # samples (seconds) kept for the system charts


def system_text(stats) -> str:
    """The System view's facts, one per line."""
    from tui_dl.engine.system import format_bytes_gib, format_gpu

    lines = [_("[b]CPU[/] {percent}% of {cores} cores   tui-dl {own}%").format(
                 percent=f"{stats.cpu_percent:.0f}", cores=stats.cpu_count, own=f"{stats.process_cpu_percent:.0f}"),
             f"[b]RAM[/] {format_bytes_gib(stats.ram_used)}/{format_bytes_gib(stats.ram_total)} GiB   "
             f"tui-dl {format_bytes_gib(stats.process_rss)} GiB"]
    lines += [format_gpu(gpu) for gpu in stats.gpus]
    if stats.gpu_note:
        lines.append(f"[dim]GPU: {stats.gpu_note}[/]")
    return "\n".join(lines)


class SystemChart(ThemedPlot):
    """CPU (and GPU) utilization over the last SYSTEM_HISTORY seconds."""

    def draw(self, cpu: deque, gpu: deque) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("utilization % (last 2 minutes)"))
        if cpu:
            plt.plot(list(range(-len(cpu) + 1, 1)), list(cpu), color="cyan", marker=MARKER, label="CPU")
        if gpu:
            plt.plot(list(range(-len(gpu) + 1, 1)), list(gpu), color="green", marker=MARKER, label="GPU")
        plt.ylim(0, 100)
        plt.xlabel(_("seconds"))
        self.refresh()
