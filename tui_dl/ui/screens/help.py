"""The help screen: every key, and what the charts show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# tui-dl keys

| key | action |
|---|---|
| F5 | start training (restart with the current settings; continue a loaded checkpoint) |
| F6 | pause / resume |
| F7 | stop |
| F8 | change the learning rate while training |
| F2 / F3 / F4 | Data / Model / Training tab |
| ctrl+f | open a data file (CSV, NPZ, IDX) |
| ctrl+s | save a checkpoint |
| ctrl+o | load a checkpoint |
| ctrl+p | command palette (every action, themes) |
| F1 or ? | this help |
| tab / shift+tab | move between fields |
| ctrl+q | quit (stops training cleanly) |

Function and ctrl keys work while a text field has focus.

# What you see

- **loss**: grey is the training loss of each mini-batch (one update per batch),
  cyan the training loss per epoch (one pass over the data), orange the validation loss.
  The green line marks the epoch with the best validation loss.
- **overfitting**: when validation loss has risen for several epochs while training loss
  keeps falling, the metrics line says *overfitting since epoch N*.
- **accuracy** for classification (cross-entropy loss); **MAE** in the target's own units
  for regression (mean squared error loss on standardized targets).

Press escape to close.
"""


class HelpScreen(ModalScreen[None]):
    """Keys and a short guide to the charts."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body", classes="dialog"):
            yield Markdown(HELP)
