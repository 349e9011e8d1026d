"""The app's start in two steps, so the first frame comes quickly: the Data and Training tabs at once, the
Model, Insights and Runs tabs' widgets (two thirds of them) right after the first frame.

Until the second step is done the app's own actions wait (a key typed ahead runs then) and the handlers that
need those widgets leave their work to it; tests get their pilot once it is done (`TuiDLApp.run_test`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from textual.widgets import TabPane

from tui_dl.engine.config import RunConfig
from tui_dl.ui.model_source import current_model
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.shell import Shell
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.runs_panel import RunsPanel
from tui_dl.ui.widgets.settings_panel import SettingsPanel


class Startup:
    """The two steps of one app's start; `started` runs once every tab is filled, before the actions that waited."""

    def __init__(self, shell: Shell, shown: ScreenState, initial: RunConfig, started: Callable[[], None]) -> None:
        self.shell, self.shown, self.initial, self.started = shell, shown, initial, started
        self.done = asyncio.Event()
        self._waiting: list[Callable[[], Awaitable | None]] = []

    def first_frame(self) -> None:
        """What the first frame needs; the rest follows it."""
        shell = self.shell
        shell.query_one("#dataset-list").focus()
        shell.query_one("#tabs > Tabs").can_focus = False  # F2-F10 switch tabs; a focused bar would take the arrows
        shell.refresh_status()
        shell.call_after_refresh(self._rest)

    async def _rest(self) -> None:
        shell = self.shell
        await shell.query_one("TabPane#model", TabPane).mount(SettingsPanel(self.initial, id="settings-panel"))
        await shell.query_one("TabPane#insights", TabPane).mount(InsightsPanel(id="insights-panel"))
        await shell.query_one("TabPane#runs", TabPane).mount(RunsPanel(self.shown.runs_root, id="runs-panel"))
        shell.query_one(InsightsPanel).model_source = partial(current_model, self.shown)  # the Predict view's model
        self.done.set()
        self.started()
        waiting, self._waiting = self._waiting, []
        for action in waiting:
            if (awaited := action()) is not None:
                await awaited
        shell.refresh_bindings()

    def later(self, action: Callable[[], Awaitable | None]) -> bool:
        """Run `action` once the start is done; False when it is done already (run it now)."""
        if self.done.is_set():
            return False
        self._waiting.append(action)
        return True
