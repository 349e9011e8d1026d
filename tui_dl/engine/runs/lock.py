"""A run's lock: its process holds an exclusive flock on the run folder's lock file for its whole life.

The kernel releases the lock when the process ends, however it ends (kill -9 included), so whether a run is
alive is read from the lock, never guessed from a pid or a status field.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK = "run.lock"


class RunLock:
    """The lock of the run in `folder`; `acquire()` is False when another process holds it."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None


def lock_state(folder: Path) -> bool | None:
    """True while a process holds `folder`'s run lock, False when it is free, None without a lock file."""
    path = Path(folder) / LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
