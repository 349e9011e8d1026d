"""The Insights tab: views of what the model is doing, each shown by its key (see `views.VIEWS`)."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from tui_dl.engine.insights.views import Confusion, Unavailable, why_not
from tui_dl.i18n import N_, _
from tui_dl.ui.language import Relabels
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.insights import landscape, neurons, pieces
from tui_dl.ui.widgets.insights.confusion import ConfusionView
from tui_dl.ui.widgets.insights.fit import FitChart
from tui_dl.ui.widgets.insights.heatmap import HeatmapView
from tui_dl.ui.widgets.insights.norms import NormsChart, gradient_note
from tui_dl.ui.widgets.insights.plane import PlaneView
from tui_dl.ui.widgets.insights.predict import PredictView
from tui_dl.ui.widgets.insights.system import SYSTEM_HISTORY, SystemChart, system_text
from tui_dl.ui.widgets.insights.views import BY_NAME, VIEWS


def _drawn(result, epoch: int, describe) -> tuple:
    """What a view draws and its title: nothing and why, when the view does not apply to the model."""
    if isinstance(result, Unavailable):
        return None, result.reason
    return result, _("epoch {epoch}: {what}").format(epoch=epoch, what=describe(result))


def _pane(name: str) -> TabPane:
    view = BY_NAME[name]
    return TabPane(f"{view.key} {_(view.title)}", id=name)


class InsightsPanel(Vertical, Relabels):
    """Views of what the model is doing; each view's key shows it."""

    BINDINGS = [
        *(Binding(view.key, f"view('{view.name}')", view.title, show=False) for view in VIEWS),
        Binding("escape", "view_keys", N_("View keys"), show=False),
    ]

    class ViewChanged(Message):
        """The visible view (or the plane's size) changed: the app asks the trainer for what it needs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data_shape: tuple[str, int] | None = None  # (task, inputs) of the chosen data set
        self.last_error = ""
        self.cpu_history: deque[float] = deque(maxlen=SYSTEM_HISTORY)
        self.gpu_history: deque[float] = deque(maxlen=SYSTEM_HISTORY)
        self.boundary_view = PlaneView(id="boundary-view")
        self.fit_chart = FitChart(id="fit-chart")
        self.confusion_view = ConfusionView(_("the confusion matrix appears here while a classification set trains"),
                                            id="confusion-view")
        self.grad_chart = NormsChart("grad_norms", N_("gradient"), id="grad-norms")
        self.weight_chart = NormsChart("weight_norms", N_("weight"), id="weight-norms")
        self.norms_note = Static(_("per-layer norms appear after the first epoch"), id="norms-note")
        self.system_view = Static(_("sampling..."), id="system-view")
        self.system_chart = SystemChart(id="system-chart")
        self.predict_view = PredictView(id="predict-view")
        self.landscape_view = landscape.LandscapeView(id="landscape-view")
        self.pieces_view = pieces.PiecesView(id="pieces-view")
        self.neurons_view = neurons.NeuronMapsView(id="neurons-view")

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="boundary", id="insight-tabs"):
            with _pane("boundary"):
                yield self.boundary_view
            with _pane("fit"):
                yield self.fit_chart
            with _pane("confusion"):
                yield self.confusion_view
            with _pane("norms"):
                yield self.norms_note
                with Horizontal(id="norm-charts"):
                    yield self.grad_chart
                    yield self.weight_chart
            with _pane("system"):
                yield self.system_view
                yield self.system_chart
            with _pane("predict"):
                yield self.predict_view
            with _pane("landscape"):
                yield self.landscape_view
            with _pane("pieces"):
                yield self.pieces_view
            with _pane("neurons"):
                yield self.neurons_view

    @property
    def model_source(self):
        """What the Predict view runs: a callable giving a `ui.model_source.ModelSource` or None (set by the app)."""
        return self.predict_view.model_source

    @model_source.setter
    def model_source(self, source) -> None:
        self.predict_view.model_source = source

    @property
    def view(self) -> str:
        return self.query_one("#insight-tabs", TabbedContent).active or "boundary"

    @property
    def probes(self) -> frozenset[str]:
        """What the trainer must compute for the visible view (nothing when it does not apply to the data)."""
        if not BY_NAME[self.view].probed or (self.data_shape and why_not(self.view, *self.data_shape)):
            return frozenset()
        return frozenset({self.view})

    @property
    def probe_size(self) -> tuple[int, int]:
        """The grid (cols, rows) the visible view draws at (the plane's when the view has none of its own)."""
        sized = {"landscape": self.landscape_view, "neurons": self.neurons_view}.get(self.view, self.boundary_view)
        return sized.grid_size

    @property
    def confusion(self) -> Confusion | None:
        """The confusion matrix shown, if any."""
        return self.confusion_view.confusion

    def action_view(self, name: str) -> None:
        """Show one of the views (the Predict view with the keyboard on its first field)."""
        self.query_one("#insight-tabs", TabbedContent).active = name
        if name == "predict":
            self.call_after_refresh(self.predict_view.focus_input)

    def action_view_keys(self) -> None:
        """Leave a field of the Predict view: the keys 1-6 switch views again."""
        self.query_one("#insight-tabs Tabs").focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id == "predict":
            self.predict_view.refresh_model()
        self.post_message(self.ViewChanged())

    def on_heatmap_view_resized(self, event: HeatmapView.Resized) -> None:
        event.stop()
        self.post_message(self.ViewChanged())

    def relabel(self) -> None:
        """The views' titles and notes (what they draw comes again when the app asks for it)."""
        tabs = self.query_one("#insight-tabs", TabbedContent)
        for view in VIEWS:
            tabs.get_tab(view.name).label = f"{view.key} {_(view.title)}"
        if self.data_shape is not None:
            self.set_data(*self.data_shape)

    def set_data(self, task: str, inputs: int) -> None:
        """The data set changed: say which views apply."""
        self.data_shape = (task, inputs)
        plane = (_("a run or a loaded checkpoint draws the decision boundary here") if task == "classification"
                 else _("a run or a loaded checkpoint draws the predicted value over the plane here"))
        self.boundary_view.show(None, why_not("boundary", task, inputs) or plane)
        self.fit_chart.show(None, why_not("fit", task, inputs) or _("a run or a loaded checkpoint draws the fit here"))
        self.confusion_view.show(None, why_not("confusion", task, inputs)
                                 or _("a run or a loaded checkpoint draws the confusion matrix here"))
        self.landscape_view.show(None, _("a run or a loaded checkpoint draws the loss landscape here"))
        self.pieces_view.show(None, why_not("pieces", task, inputs)
                              or _("a run or a loaded checkpoint draws each neuron's piece of the curve here"))
        self.neurons_view.show(None, why_not("neurons", task, inputs)
                               or _("a run or a loaded checkpoint draws what each neuron responds to here"))

    def show_insights(self, epoch: int, insights: dict, error: str = "") -> None:
        """Draw what the trainer computed after `epoch`."""
        if error and error != self.last_error:  # a view failing at every probe is said once
            self.app.notify(error, title=_("insight view failed"), severity="warning")
        self.last_error = error
        if "boundary" in insights:
            plane = insights["boundary"]
            self.boundary_view.show(plane, _("epoch {epoch}: {across} across, {up} up").format(
                epoch=epoch, across=plane.feature_names[0], up=plane.feature_names[1]))
        if "fit" in insights:
            fit = insights["fit"]
            what = {"curve": _("real (red) and predicted (blue)"),
                    "series": _("real (red) and predicted (blue), in time order"),
                    "scatter": _("predicted against true (on the red line is perfect)")}[fit.kind]
            self.fit_chart.show(fit, _("epoch {epoch}: {what}").format(epoch=epoch, what=what))
        if "confusion" in insights:
            self.confusion_view.show(insights["confusion"])
        if "landscape" in insights:
            self.landscape_view.show(*_drawn(insights["landscape"], epoch, landscape.describe))
        if "pieces" in insights:
            self.pieces_view.show(*_drawn(insights["pieces"], epoch, pieces.describe))
        if "neurons" in insights:
            self.neurons_view.show(*_drawn(insights["neurons"], epoch, neurons.describe))

    def draw_norms(self, curves: Curves) -> None:
        if self.view != "norms":
            return
        self.norms_note.update(gradient_note(curves))  # its height follows the text: it wraps when narrow
        self.grad_chart.draw(curves)
        self.weight_chart.draw(curves)

    def add_system_sample(self, stats) -> None:
        """Record a SystemStats sample; redraw the System view when it is visible."""
        self.cpu_history.append(stats.cpu_percent)
        if stats.gpus and stats.gpus[0].utilization is not None:
            self.gpu_history.append(stats.gpus[0].utilization)
        if self.view == "system" and self.parent is not None and self.parent.display:
            self.system_view.update(system_text(stats))
            self.system_chart.draw(self.cpu_history, self.gpu_history)
