"""The machine as the UI shows it: the devices to train on (found after the first frame, off the UI thread)
and CPU, RAM and GPU load sampled every second."""

from __future__ import annotations

from textual.css.query import NoMatches

from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.shell import Shell
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.settings_panel import SettingsPanel
from tui_dl.ui.widgets.training_view import TrainingView

SAMPLE_S = 1.0


class SystemFeed:
    """Device detection (the devices offered, `shown.device_name`) and the machine's load samples."""

    def __init__(self, shell: Shell, shown: ScreenState) -> None:
        self.shell, self.shown = shell, shown
        self.monitor = None  # engine.system.SystemMonitor, once detection is done

    def start(self) -> None:
        """Sample every second; detect the devices after the first frame (importing torch takes seconds)."""
        self.shell.set_interval(SAMPLE_S, self.sample)
        self.shell.call_after_refresh(self.detect)

    def detect(self) -> None:
        self.shell.run_worker(self._detect, thread=True, exclusive=True, group="devices", exit_on_error=False)

    def _detect(self) -> None:
        from tui_dl.engine.system import SystemMonitor
        from tui_dl.ui import devices

        found = devices.detect()
        monitor = SystemMonitor()
        monitor.sample()  # the first sample imports NVML: off the UI thread
        self.shell.call_from_thread(self._found, found["devices"], found["auto"], monitor)

    def _found(self, names: list[str], described: str, monitor) -> None:
        if not self.shell.is_running:  # detection ended while the app was closing: its widgets may be gone
            monitor.close()
            return
        self.shell.query_one(SettingsPanel).set_devices(names)
        self.shown.device_name = described
        self.monitor = monitor
        self.shell.refresh_status()

    def sample(self) -> None:
        """CPU, RAM and GPU load: a line on the Training tab, history in the System view."""
        if self.monitor is None:
            return
        from tui_dl.engine.system import format_compact

        stats = self.monitor.sample()
        try:
            self.shell.query_one(TrainingView).show_system(format_compact(stats))
            self.shell.query_one(InsightsPanel).add_system_sample(stats)
        except NoMatches:
            pass

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
