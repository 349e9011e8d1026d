"""The narrow part of the app that its parts may use: say something, open a dialog, show a tab, find a
widget, refresh the status line, and run work off the UI thread and come back to it.

The training controller, the flows and the feeds get a Shell (the app is the one implementation) and the
ScreenState (`ui.screen_state`), never the app itself; app-wide wiring stays in `ui.app`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Shell(Protocol):
    """What the app's parts may ask of the app."""

    @property
    def is_running(self) -> bool: ...

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def push_screen(self, screen: Any, callback: Callable | None = None) -> Any: ...

    def show_tab(self, tab: str) -> None:
        """Show a tab and put the keyboard on its first field."""

    def active_tab(self) -> str:
        """The id of the tab shown."""

    def refresh_status(self) -> None:
        """Say again in the status line what the screen shows."""

    def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...

    def query(self, selector: Any = None) -> Any: ...

    def call_from_thread(self, callback: Callable, *args: Any, **kwargs: Any) -> Any: ...

    def call_after_refresh(self, callback: Callable, *args: Any, **kwargs: Any) -> bool: ...

    def run_worker(self, work: Any, name: str | None = "", group: str = "default", description: str = "",
                   exit_on_error: bool = True, start: bool = True, exclusive: bool = False,
                   thread: bool = False) -> Any: ...

    def set_interval(self, interval: float, callback: Callable | None = None, *, name: str | None = None,
                     repeat: int = 0, pause: bool = False) -> Any: ...

    def refresh_bindings(self) -> None: ...
