"""The Insights tab's Predict view: try the model live on a row you type, a digit you draw, or a point of the plane.

The model is the run's last finished epoch (or a loaded checkpoint; see ui.model_source), rebuilt as an
`engine.use.predictor.Predictor` on a worker thread whenever it changes; each edit then runs one forward pass of
a single row on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Static

from tui_dl.engine.data.rawdata import RawData
from tui_dl.i18n import _
from tui_dl.ui.model_source import ModelSource
from tui_dl.ui.widgets.insights.cursor_plane import PlanePad
from tui_dl.ui.widgets.insights.draw_grid import ImagePad
from tui_dl.ui.widgets.insights.predict_form import TabularForm

CHECK_S = 1.0  # how often a visible view looks for a newer model


class PredictView(Vertical):
    """Type a row, draw a digit or move over the plane, and watch what the model predicts."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.model_source: Callable[[], ModelSource | None] | None = None  # set by the app
        self.predictor = None
        self.raw: RawData | None = None
        self._key: object = None
        self._focus_wanted = False  # asked for the keyboard before the model was ready

    def compose(self) -> ComposeResult:
        yield Static(_("train a run (F5) or load a checkpoint (ctrl+o) to try its model here"), id="predict-note")
        with ContentSwitcher(initial="predict-form", id="predict-modes"):
            yield TabularForm(id="predict-form")
            yield ImagePad(id="predict-image")
            yield PlanePad(id="predict-plane")

    def on_mount(self) -> None:
        self.set_interval(CHECK_S, self._tick)

    @property
    def mode(self):
        switcher = self.query_one(ContentSwitcher)
        return self.query_one(f"#{switcher.current}")

    def _shown(self) -> bool:
        return all(node.display for node in self.ancestors_with_self if hasattr(node, "display"))

    def _tick(self) -> None:
        if self._shown():
            self.refresh_model()

    def refresh_model(self) -> None:
        """Use the newest model, if it changed (rebuilt on a worker thread)."""
        source = self.model_source() if self.model_source is not None else None
        if source is None:
            if self._key is not None or self.predictor is None:
                self._key = None
                self.query_one("#predict-note", Static).update(
                    _("train a run (F5) or load a checkpoint (ctrl+o) to try its model here"))
            return
        if source.key is not self._key:
            self._key = source.key
            self._build(source)

    def focus_input(self) -> None:
        """Put the keyboard on the visible mode's field, grid or plane (once there is a model)."""
        if self.predictor is None:
            self._focus_wanted = True
            return
        self.mode.focus_input()

    @work(thread=True, exclusive=True, group="predict-model", exit_on_error=False)
    def _build(self, source: ModelSource) -> None:
        from tui_dl.engine.data.prepare import split_indices
        from tui_dl.engine.errors import UserError
        from tui_dl.engine.use.predictor import Predictor

        try:
            predictor = Predictor(source.state(), _("the model"))
            raw = source.raw if source.raw is not None and predictor.trained_on(source.raw) else None
            rows = None
            if raw is not None:
                _train, val, _test = split_indices(raw.samples, predictor.config.data)
                rows = val if len(val) else np.arange(raw.samples)
        except UserError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown in the view, never raised into the UI
            self.app.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._ready, predictor, raw, rows)

    def _failed(self, message: str) -> None:
        self.query_one("#predict-note", Static).update(Text(_("cannot run this model: {error}").format(error=message), "red"))

    def _ready(self, predictor, raw: RawData | None, rows: np.ndarray | None) -> None:
        self.predictor, self.raw = predictor, raw
        switcher = self.query_one(ContentSwitcher)
        kind = self._kind(predictor, raw)
        switcher.current = f"predict-{kind}"
        validation = raw is not None and predictor.config.data.val_split > 0
        what = {"form": _("edit the fields, up/down: another validation row") if validation
                else _("edit the fields, up/down: another training row"),
                "image": _("draw with the arrows and space (pen) or the mouse"),
                "plane": _("arrows (shift: faster) or a click move the cursor")}[kind]
        model = (_("{dataset}, epoch {epoch} (untrained)") if predictor.epoch == 0 else
                 _("{dataset}, epoch {epoch}")).format(dataset=predictor.dataset, epoch=predictor.epoch)
        self.query_one("#predict-note", Static).update(
            _("{model}: {what}; escape: view keys").format(model=model, what=what))
        self.mode.use(predictor, raw, rows)
        focused = self.app.focused
        if self._focus_wanted or (focused is not None and self in focused.ancestors):
            self._focus_wanted = False
            self.call_after_refresh(self.mode.focus_input)

    @staticmethod
    def _kind(predictor, raw: RawData | None) -> str:
        shape = (raw.image_shape if raw is not None else None) or predictor.image_shape
        plain = all(c.kind == "numeric" and not c.indicator for c in predictor.plan.features)
        if shape is not None and plain and shape[0] * shape[1] == predictor.inputs:
            return "image"
        if predictor.inputs == 2 and all(c.value_kind for c in predictor.plan.features) \
                and len(predictor.plan.features) == 2:
            return "plane"
        return "form"
