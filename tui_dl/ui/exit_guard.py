"""The UI process always ends after SIGHUP (a closed SSH session), SIGTERM or SIGINT.

When the terminal dies, Textual's shutdown can block for ever writing to it (its output queue fills once the
writer thread has failed on the dead terminal). So the signal handler only wakes a guard thread, started
beforehand, which works without the event loop: it has the app stop and record its run (`app.leave(reason)`,
blocking until the last finished epoch is saved), asks the app to exit, and ends the process with
`os._exit` if the app has not finished exiting within GRACE_S.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Protocol

from tui_dl.i18n import _

SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
GRACE_S = 3.0  # after the run is saved, how long a clean exit may take before the process is ended


class Leaving(Protocol):
    """What the guard needs of the app."""

    exit_report: str | None

    def leave(self, reason: str) -> None: ...

    def exit_from_thread(self, return_code: int) -> None: ...


class ExitGuard:
    """Install in the main thread before the app runs; `close()` once `app.run()` has returned."""

    def __init__(self, app: Leaving, hard_exit: bool = True, grace_s: float = GRACE_S):
        self.app, self.hard_exit, self.grace_s = app, hard_exit, grace_s
        self.received: signal.Signals | None = None
        self._woken = threading.Event()
        self._exited = threading.Event()
        self._previous: dict[int, object] = {}
        self._thread = threading.Thread(target=self._guard, name="tui-dl exit guard", daemon=True)

    def install(self) -> ExitGuard:
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        self._thread.start()
        return self

    def close(self) -> None:
        """The app has exited: put the previous handlers back; a pending hard exit is called off."""
        self._exited.set()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        if self.received is not None:
            self._thread.join()
        else:
            self._woken.set()  # ends the idle guard thread

    def _on_signal(self, signum: int, _frame) -> None:
        # Runs in the main thread between two bytecodes, even while the event loop is blocked.
        if self.received is not None:
            return  # a hang-up comes as several signals (the kernel's and tmux's): the first one counts
        self.received = signal.Signals(signum)
        if signum == signal.SIGHUP:  # a dead terminal: Textual must not re-open it on the SIGCONT that follows
            signal.signal(signal.SIGCONT, signal.SIG_DFL)
        self._woken.set()

    def _guard(self) -> None:
        self._woken.wait()
        if self.received is None:
            return
        sig, code = self.received, 128 + self.received
        try:
            self.app.leave(_("interrupted by {signal}").format(signal=sig.name))
        finally:
            if not self._exited.is_set():
                self.app.exit_from_thread(code)
            if not self._exited.wait(self.grace_s) and self.hard_exit:
                self._report_and_end(code)

    def _report_and_end(self, code: int) -> None:
        """The app could not exit cleanly (its terminal is gone): end the process, its run already saved."""
        report = self.app.exit_report
        if report:
            try:
                os.write(sys.__stderr__.fileno(), f"{report}\n".encode())
            except (OSError, AttributeError, ValueError):
                pass
        os._exit(code)
