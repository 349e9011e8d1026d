"""Whether a process (a run's trainer, a checkpoint's writer) still runs on this machine."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True when process `pid` exists here (also when it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (ProcessLookupError, OverflowError):
        return False
    return True
