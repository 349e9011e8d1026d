"""The line under the tabs: the run's state, where it runs, the device, the data set, the model and its rate."""

from __future__ import annotations

from tui_dl.i18n import _
from tui_dl.ui.system_feed import DETECTING
from tui_dl.ui.widgets.training_view import TrainingView


def status_text(app) -> str:
    """The status line of `app` as it stands."""
    data = f"{app.raw.name}" if app.raw else _("no data set")
    state = app.controller.state_label
    link = app.link
    where = _("{name} (background)").format(name=link.name) if link is not None and link.detached and link.live else ""
    lr = lr_text(app) if app.training else ""
    device = _(DETECTING) if app.system.device_name == DETECTING else app.system.device_name
    return "  |  ".join(p for p in (f"[b]{state}[/b]", where, device, data, app.form.architecture, lr) if p)


def lr_text(app) -> str:
    """`lr 0.01`, or with a schedule the rate of the last epoch and its base (`lr 0.0031 of 0.01`)."""
    epochs = app.query_one(TrainingView).curves.epochs
    base = f"{app.link.lr:.3g}"
    now = f"{epochs[-1].lr:.3g}" if epochs else base
    return _("lr {rate}").format(rate=now) if now == base else _("lr {rate} of {base}").format(rate=now, base=base)
