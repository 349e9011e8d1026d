"""The line under the tabs: the run's state, where it runs, the device, the data set, the model and its rate."""

from __future__ import annotations

from collections.abc import Sequence

from tui_dl.engine.events import EpochMetrics
from tui_dl.i18n import _
from tui_dl.ui.screen_state import DETECTING, ScreenState


def status_text(shown: ScreenState, epochs: Sequence[EpochMetrics]) -> str:
    """The status line of what the screen shows; `epochs`: the run's epochs on the Training tab."""
    data = f"{shown.raw.name}" if shown.raw else _("no data set")
    link = shown.link
    where = _("{name} (background)").format(name=link.name) if link is not None and link.detached and link.live else ""
    lr = lr_text(link.lr, epochs) if shown.training else ""
    device = _(DETECTING) if shown.device_name == DETECTING else shown.device_name
    return "  |  ".join(p for p in (f"[b]{shown.state_label}[/b]", where, device, data, shown.architecture, lr) if p)


def lr_text(base_lr: float, epochs: Sequence[EpochMetrics]) -> str:
    """`lr 0.01`, or with a schedule the rate of the last epoch and its base (`lr 0.0031 of 0.01`)."""
    base = f"{base_lr:.3g}"
    now = f"{epochs[-1].lr:.3g}" if epochs else base
    return _("lr {rate}").format(rate=now) if now == base else _("lr {rate} of {base}").format(rate=now, base=base)
