"""tui-dl's UI in a real pseudo-terminal, as an SSH session or tmux runs it (no textual imported here).

`PtyUI` starts `python -m tui_dl ...` under a session leader on a new pseudo-terminal, reads what it draws,
types keys, and can hang up (close the master side, as a dropped SSH connection does: the kernel then
sends SIGHUP to the session, and the UI must end).
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import psutil

KEYS = {"f1": "\x1bOP", "f2": "\x1bOQ", "f3": "\x1bOR", "f4": "\x1bOS", "f5": "\x1b[15~", "f6": "\x1b[17~",
        "f7": "\x1b[18~", "f8": "\x1b[19~", "f9": "\x1b[20~", "f10": "\x1b[21~", "ctrl+q": "\x11", "ctrl+s": "\x13",
        "enter": "\r", "escape": "\x1b", "tab": "\t"}

# A login shell's part: lead a new session on the pseudo-terminal and run tui-dl as a child in the foreground,
# as sshd and tmux do (a hang-up then reaches tui-dl when this leader dies, with SIGCONT from the kernel).
LAUNCHER = ("import fcntl, subprocess, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
            "sys.exit(subprocess.call([sys.executable, '-m', 'tui_dl', *sys.argv[1:]]))")


class PtyUI:
    """A `tui-dl` process on its own pseudo-terminal of `size` (columns, lines)."""

    def __init__(self, *argv: str, cwd: Path, env: dict[str, str], size: tuple[int, int] = (120, 40)):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])}
        self.leader = subprocess.Popen([sys.executable, "-c", LAUNCHER, *argv], stdin=slave, stdout=slave,
                                        stderr=slave, cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.master: int | None = master
        self.output = bytearray()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closing.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the process closed its side
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    def text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", "replace")

    @property
    def ui(self) -> psutil.Process:
        """The tui-dl process (the leader's child)."""
        deadline = time.monotonic() + 10
        while not (children := psutil.Process(self.leader.pid).children()):
            if time.monotonic() > deadline:
                raise AssertionError("tui-dl did not start")
            time.sleep(0.01)
        return children[0]

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Wait until `text` has been drawn (AssertionError with the screen's tail after `timeout`)."""
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline or self.leader.poll() is not None:
                raise AssertionError(f"{text!r} not drawn; exit {self.leader.poll()}; last output: {self.text()[-800:]!r}")
            time.sleep(0.05)

    def press(self, *keys: str) -> None:
        """Type keys: names from KEYS, or plain text."""
        for key in keys:
            os.write(self.master, KEYS.get(key, key).encode())
            time.sleep(0.15)

    def hang_up(self) -> None:
        """Close the master side, as a dropped SSH connection or `tmux kill-session` does."""
        self._closing.set()
        self._reader.join()
        os.close(self.master)
        self.master = None

    def kill(self) -> None:
        """Kill whatever is left of the session (test cleanup)."""
        try:
            os.killpg(self.leader.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.leader.wait()
        if self.master is not None:
            self.hang_up()


def gone_within(process: psutil.Process, seconds: float) -> bool:
    """Whether `process` has ended (or is a zombie) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False
