"""Sharing the CPU among live runs: each run process registers itself, and uses its share of the cores.

Two runs each using every core of a small machine collapse (their thread pools fight for the cores), so a run
uses cores // live runs threads (at least one), rechecked as runs start and end. A run configured with
`threads` > 0 uses exactly that many and is not rebalanced.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from tui_dl.paths import runtime_dir

RECHECK_S = 2.0  # how often a run looks at how many runs share the machine
THREADS_ENV = "TUI_DL_THREADS"  # a default thread count for runs that do not set one


def cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class ThreadShare:
    """This process's entry in the live-run registry (a locked file per run) and its thread count."""

    def __init__(self, fixed: int = 0, folder: Path | None = None):
        """`fixed`: a thread count that overrides the share (0: none; TUI_DL_THREADS sets a default)."""
        self.fixed = fixed or int(os.environ.get(THREADS_ENV, "0") or 0)
        self.folder = folder or runtime_dir() / "live"
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self._path = self.folder / f"{os.getpid()}.run"
        making = self.folder / f"{os.getpid()}.new"  # locked before it gets the name others count
        self._fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.replace(making, self._path)
        self._checked = 0.0
        self.current = 0

    def live_runs(self) -> int:
        """Registered processes still holding their entry's lock (stale entries are removed)."""
        count = 0
        for entry in self.folder.glob("*.run"):
            if entry == self._path:
                count += 1
                continue
            try:
                fd = os.open(entry, os.O_RDWR | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                count += 1
            else:
                entry.unlink(missing_ok=True)  # its process is gone
            finally:
                os.close(fd)
        return max(count, 1)

    def threads(self) -> int:
        return self.fixed or max(1, cores() // self.live_runs())

    def apply(self, force: bool = False) -> None:
        """Set torch's thread count to this run's share (at most every RECHECK_S unless `force`)."""
        now = time.monotonic()
        if not force and now - self._checked < RECHECK_S:
            return
        self._checked = now
        wanted = self.threads()
        if wanted != self.current:
            import torch

            torch.set_num_threads(wanted)
            self.current = wanted

    def close(self) -> None:
        self._path.unlink(missing_ok=True)
        os.close(self._fd)
