"""Which devices this machine has, asked of a child process so that torch stays out of the UI process."""

from __future__ import annotations

import json
import subprocess
import sys

from tui_dl.i18n import N_, _

FALLBACK = {"devices": ["auto", "cpu"], "auto": N_("device unknown")}  # "auto" is shown translated


def detect() -> dict:
    """`{"devices": [names...], "auto": "what auto means here"}` (FALLBACK when the child cannot tell)."""
    try:
        answer = subprocess.run([sys.executable, "-m", "tui_dl.engine.training.device"], capture_output=True, text=True,
                                timeout=120, stdin=subprocess.DEVNULL)
        found = json.loads(answer.stdout)
        if isinstance(found.get("devices"), list) and isinstance(found.get("auto"), str):
            return found
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    return {**FALLBACK, "auto": _(FALLBACK["auto"])}
