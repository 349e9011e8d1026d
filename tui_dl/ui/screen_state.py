"""What the screen shows, held in one place: the data set on the Data tab, the run on screen and what the
status line says of it, the loaded checkpoint, the runs folder, the device and the model in words.

The app makes one ScreenState; its parts (the training controller, the flows and feeds, the settings form)
read and change it here, and none of them reaches into the app for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_dl.engine.data.rawdata import RawData
from tui_dl.engine.events import RunStatus
from tui_dl.i18n import N_, _
from tui_dl.ui.run_link import RunLink

UI_STATES = {"connecting": N_("connecting"), "loaded": N_("loaded")}  # the states of the UI, not of a run
DETECTING = N_("detecting device...")  # the device before detection is done, shown translated


def describe_state(state: str) -> str:
    """A run's state (a RunStatus value) or the UI's, as the user reads it in the language in use."""
    if state in UI_STATES:
        return _(UI_STATES[state])
    try:
        return RunStatus(state).label
    except ValueError:  # a state this version does not know
        return str(state).replace("_", " ")


@dataclass
class ScreenState:
    """The one model of what the screen shows."""

    runs_root: Path  # where new runs are recorded (the Runs tab can change it)
    raw: RawData | None = None  # the data set on the Data tab
    link: RunLink | None = None  # the run on screen (started, or attached to), None before the first
    run_state: str = "idle"  # what the status line says: a RunStatus value, or idle / starting / connecting / loaded
    loaded: dict | None = None  # a checkpoint loaded to continue from (F5), and its file
    loaded_path: Path | None = None
    device_name: str = DETECTING  # the device `auto` trains on, in words
    architecture: str = ""  # the model in words; "" while the model's settings are invalid

    @property
    def training(self) -> bool:
        """Whether the run on screen is live (training, paused or stopping)."""
        return self.link is not None and self.link.live

    @property
    def state_label(self) -> str:
        """`run_state` as the user reads it, in the language in use."""
        return describe_state(self.run_state)
