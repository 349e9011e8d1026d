"""The Insights tab: decision boundary, regression fit, confusion matrix, layer norms and system load."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from tui_dl.engine.insight_data import Boundary, Confusion, Fit, why_not
from tui_dl.ui.series import y_ticks
from tui_dl.ui.widgets.charts import MARKER, RUN_COLORS, Curves, ThemedPlot, downsample

# Class colours (RGB) of the boundary view, TensorFlow Playground's orange and blue first.
CLASS_RGB = ((245, 147, 34), (8, 119, 189), (80, 200, 120), (220, 80, 160), (230, 220, 60), (150, 110, 230),
             (60, 210, 220), (240, 90, 70), (170, 170, 170), (120, 160, 60))
BACKGROUND_RGB = (24, 24, 28)
SYSTEM_HISTORY = 120  # samples (seconds) kept for the system charts
VIEWS = ("boundary", "fit", "confusion", "norms", "system")
PROBED = frozenset({"boundary", "fit", "confusion"})  # computed by the trainer; the others come from metrics


SHADES = 8  # confidence levels drawn: few distinct styles keep rendering cheap


def _shade(class_index: int, level: int) -> Color:
    """Class colour at confidence `level` (0..SHADES-1): 15% .. 65% of the way from the background."""
    amount = 0.15 + 0.5 * level / (SHADES - 1)
    r, g, b = (round(bg + (c - bg) * amount) for c, bg in zip(CLASS_RGB[class_index % len(CLASS_RGB)], BACKGROUND_RGB))
    return Color.from_rgb(r, g, b)


def boundary_lines(b: Boundary, width: int, height: int) -> list[list[Segment]]:
    """The boundary as half-block cells (two grid rows per line) with the data points on top.

    Neighbouring cells of one look share a segment, so a line costs a few dozen segments, not one per cell.
    """
    rows, cols = b.classes.shape
    floor = 1.0 / max(len(b.class_names), 2)  # the lowest possible confidence of the predicted class
    levels = np.clip(((b.confidence - floor) / (1 - floor) * SHADES).astype(int), 0, SHADES - 1)
    shade = b.classes * SHADES + levels  # one number per grid cell: class and confidence level
    marks: dict[tuple[int, int], int] = {}
    (x0, x1), (y0, y1) = b.x_range, b.y_range
    for (px, py), label in zip(b.points, b.labels):
        col = int((px - x0) / (x1 - x0) * (cols - 1) + 0.5)
        line = int((y1 - py) / (y1 - y0) * (rows - 1) + 0.5) // 2
        marks[(line, col)] = int(label)
    styles: dict[tuple, Style] = {}

    def style_of(key: tuple) -> Style:
        style = styles.get(key)
        if style is None:
            top, bottom, label = key
            below = _shade(*divmod(bottom, SHADES))
            style = styles[key] = (Style(color=_shade(*divmod(top, SHADES)), bgcolor=below) if label is None else
                                   Style(color=Color.from_rgb(*CLASS_RGB[label % len(CLASS_RGB)]), bgcolor=below,
                                         bold=True))
        return style

    lines = []
    for line in range(min(rows // 2, height)):
        segments: list[Segment] = []
        run_key, run_length = None, 0
        for col in range(min(cols, width)):
            label = marks.get((line, col))
            key = (int(shade[2 * line, col]), int(shade[2 * line + 1, col]), label)
            if key == run_key and label is None:
                run_length += 1
                continue
            if run_key is not None:
                segments.append(Segment("▀" * run_length if run_key[2] is None else "●", style_of(run_key)))
            run_key, run_length = key, 1
        if run_key is not None:
            segments.append(Segment("▀" * run_length if run_key[2] is None else "●", style_of(run_key)))
        lines.append(segments)
    return lines


class BoundaryView(Widget):
    """The model's predicted class over the plane, shaded by confidence, with the data points.

    Drawn with Textual's line API from strips built once per update (twice a second at most).
    """

    DEFAULT_CSS = "BoundaryView { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.boundary: Boundary | None = None
        self.note = "the decision boundary appears here while a 2-D classification set trains"
        self._strips: list[Strip] = []

    @property
    def grid_size(self) -> tuple[int, int]:
        """The grid (cols, rows) that fills this widget: two grid rows per terminal line."""
        return max(self.size.width, 20), max(2 * (self.size.height - 1), 10)

    def on_resize(self) -> None:
        self.post_message(InsightsPanel.ViewChanged())  # the next boundary is computed for the new size
        self._build()

    def show(self, boundary: Boundary | None, note: str) -> None:
        self.boundary, self.note = boundary, note
        self._build()

    def _build(self) -> None:
        legend = [Segment(self.note + "   ")]
        lines: list[list[Segment]] = []
        if self.boundary is not None:
            lines = boundary_lines(self.boundary, self.size.width, max(self.size.height - 1, 0))
            for i, name in enumerate(self.boundary.class_names):
                legend += [Segment("● ", Style(color=Color.from_rgb(*CLASS_RGB[i % len(CLASS_RGB)]))),
                           Segment(f"{name}  ")]
        self._strips = [Strip(segments) for segments in lines] + [Strip(legend)]
        self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)
        return strip.crop_extend(0, self.size.width, self.rich_style)


class FitChart(ThemedPlot):
    """True (red) and predicted (blue) targets: along x or time, or predicted against true."""

    def show(self, fit: Fit | None, note: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(note)
        if fit is not None:
            if fit.kind == "scatter":
                plt.scatter(fit.true.tolist(), fit.predicted.tolist(), color="blue", marker=MARKER, label="samples")
                lo, hi = float(min(fit.true.min(), fit.predicted.min())), float(max(fit.true.max(), fit.predicted.max()))
                plt.plot([lo, hi], [lo, hi], color="red", marker=MARKER, label="perfect (predicted = true)")
            else:
                plt.plot(fit.x.tolist(), fit.true.tolist(), color="red", marker=MARKER, label="real")
                plt.plot(fit.x.tolist(), fit.predicted.tolist(), color="blue", marker=MARKER, label="predicted")
            plt.xlabel(fit.x_label)
            plt.ylabel(fit.y_label)
        self.refresh()


def confusion_table(c: Confusion) -> Table:
    """Counts with true classes as rows, shaded by each row's share, and per-class accuracy."""
    names = c.class_names or [str(i) for i in range(len(c.matrix))]
    counted = int(c.matrix.sum())
    where = f"the {c.split} split" if counted == c.split_size else f"{counted:,} of the {c.split_size:,} {c.split} samples"
    table = Table(title=f"confusion matrix on {where}: accuracy {c.accuracy:.1%}  "
                        "(rows: true class, columns: predicted)", title_justify="left", expand=False)
    table.add_column("true \\ predicted", style="bold")
    for name in names:
        table.add_column(name[:10], justify="right")
    table.add_column("class accuracy", justify="right")
    totals = c.matrix.sum(axis=1)
    for i, name in enumerate(names):
        cells = []
        for j in range(len(names)):
            count = int(c.matrix[i, j])
            share = count / totals[i] if totals[i] else 0.0
            style = ("bold green" if i == j else "bold red") if share >= 0.05 else "dim"
            cells.append(Text(str(count), style=style if count else "dim"))
        accuracy = c.per_class_accuracy[i]
        cells.append(Text("-" if math.isnan(accuracy) else f"{accuracy:.1%}"))
        table.add_row(name, *cells)
    return table


class NormsChart(ThemedPlot):
    """One line per layer over epochs, log scale: weight or gradient norms."""

    def __init__(self, key: str, title: str, **kwargs):
        super().__init__(**kwargs)
        self.key, self.title = key, title

    def draw(self, curves: Curves) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        rows = [(m.epoch, getattr(m, self.key)) for m in curves.epochs if getattr(m, self.key)]
        plt.title(self.title)
        plt.xlabel("epoch")
        if rows:
            epochs = np.array([r[0] for r in rows], dtype=np.float64)
            layers = min(len(r[1]) for r in rows)
            values = np.array([r[1][:layers] for r in rows], dtype=np.float64)
            with np.errstate(divide="ignore"):
                logs = np.log10(values)
            for layer in range(layers):
                xs, ys = downsample(epochs, np.where(np.isfinite(logs[:, layer]), logs[:, layer], np.nan),
                                    max(self.size.width, 40))
                name = "output" if layer == layers - 1 else f"layer {layer + 1}"
                plt.plot(xs, ys, color=RUN_COLORS[layer % len(RUN_COLORS)], marker=MARKER, label=name)
            finite = logs[np.isfinite(logs)]
            ticks = y_ticks(float(finite.min()), float(finite.max()), True) if finite.size else None
            if ticks is not None:
                plt.yticks(*ticks)
        self.refresh()


def gradient_note(curves: Curves) -> str:
    """How much gradient reaches the first layer compared with the output layer, in words."""
    latest = next((m for m in reversed(curves.epochs) if m.grad_norms), None)
    if latest is None or len(latest.grad_norms) < 2:
        return "per-layer norms appear after the first epoch"
    first, last = latest.grad_norms[0], latest.grad_norms[-1]
    ratio = first / last if last > 0 else math.inf
    verdict = ("[b $error]vanishing[/]: the first layers barely learn (saturated sigmoids? try ReLU)" if ratio < 0.01
               else "[b $warning]shrinking[/] towards the input" if ratio < 0.1
               else "[b $success]healthy[/]: it reaches the first layer")
    return (f"epoch {latest.epoch}: gradient at layer 1 = {ratio:.3g}x the output layer's "
            f"({first:.3g} vs {last:.3g}), {verdict}")


def system_text(stats) -> str:
    """The System view's facts, one per line."""
    from tui_dl.engine.system import format_bytes_gib, format_gpu

    lines = [f"[b]CPU[/] {stats.cpu_percent:.0f}% of {stats.cpu_count} cores   tui-dl {stats.process_cpu_percent:.0f}%",
             f"[b]RAM[/] {format_bytes_gib(stats.ram_used)}/{format_bytes_gib(stats.ram_total)} GiB   "
             f"tui-dl {format_bytes_gib(stats.process_rss)} GiB"]
    lines += [format_gpu(gpu) for gpu in stats.gpus]
    if stats.gpu_note:
        lines.append(f"[dim]GPU: {stats.gpu_note}[/]")
    return "\n".join(lines)


class SystemChart(ThemedPlot):
    """CPU (and GPU) utilization over the last SYSTEM_HISTORY seconds."""

    def draw(self, cpu: deque, gpu: deque) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("utilization % (last 2 minutes)")
        if cpu:
            plt.plot(list(range(-len(cpu) + 1, 1)), list(cpu), color="cyan", marker=MARKER, label="CPU")
        if gpu:
            plt.plot(list(range(-len(gpu) + 1, 1)), list(gpu), color="green", marker=MARKER, label="GPU")
        plt.ylim(0, 100)
        plt.xlabel("seconds")
        self.refresh()


class InsightsPanel(Vertical):
    """Five views of what the model is doing; keys 1-5 switch between them."""

    BINDINGS = [Binding(str(i + 1), f"view('{name}')", name.capitalize(), show=False) for i, name in enumerate(VIEWS)]

    class ViewChanged(Message):
        """The visible view changed: the app asks the trainer for what it needs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data_shape: tuple[str, int] | None = None  # (task, inputs) of the chosen data set
        self.last_error = ""
        self.cpu_history: deque[float] = deque(maxlen=SYSTEM_HISTORY)
        self.gpu_history: deque[float] = deque(maxlen=SYSTEM_HISTORY)
        self.boundary_view = BoundaryView(id="boundary-view")
        self.fit_chart = FitChart(id="fit-chart")
        self.confusion: Confusion | None = None
        self.confusion_view = Static("the confusion matrix appears here while a classification set trains",
                                     id="confusion-view")
        self.grad_chart = NormsChart("grad_norms", "gradient norm per layer (log; last batch of each epoch)", id="grad-norms")
        self.weight_chart = NormsChart("weight_norms", "weight norm per layer (log)", id="weight-norms")
        self.norms_note = Static("per-layer norms appear after the first epoch", id="norms-note")
        self.system_view = Static("sampling...", id="system-view")
        self.system_chart = SystemChart(id="system-chart")

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="boundary", id="insight-tabs"):
            with TabPane("1 Boundary", id="boundary"):
                yield self.boundary_view
            with TabPane("2 Fit", id="fit"):
                yield self.fit_chart
            with TabPane("3 Confusion", id="confusion"):
                yield self.confusion_view
            with TabPane("4 Norms", id="norms"):
                yield self.norms_note
                with Horizontal(id="norm-charts"):
                    yield self.grad_chart
                    yield self.weight_chart
            with TabPane("5 System", id="system"):
                yield self.system_view
                yield self.system_chart

    @property
    def view(self) -> str:
        return self.query_one("#insight-tabs", TabbedContent).active or "boundary"

    @property
    def probes(self) -> frozenset[str]:
        """What the trainer must compute for the visible view (nothing when it does not apply to the data)."""
        if self.view not in PROBED or (self.data_shape and why_not(self.view, *self.data_shape)):
            return frozenset()
        return frozenset({self.view})

    def action_view(self, name: str) -> None:
        """Show one of the views."""
        self.query_one("#insight-tabs", TabbedContent).active = name

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        self.post_message(self.ViewChanged())

    def set_data(self, task: str, inputs: int) -> None:
        """The data set changed: say which views apply."""
        self.data_shape = (task, inputs)
        for kind, waiting in (("boundary", "a run or a loaded checkpoint draws the decision boundary here"),
                              ("fit", "a run or a loaded checkpoint draws the fit here"),
                              ("confusion", "a run or a loaded checkpoint draws the confusion matrix here")):
            self._show_missing(kind, why_not(kind, task, inputs) or waiting)

    def _show_missing(self, kind: str, note: str) -> None:
        if kind == "boundary":
            self.boundary_view.show(None, note)
        elif kind == "fit":
            self.fit_chart.show(None, note)
        else:
            self.confusion_view.update(note)

    def show_insights(self, epoch: int, insights: dict, error: str = "") -> None:
        """Draw what the trainer computed after `epoch`."""
        if error and error != self.last_error:  # a view failing at every probe is said once
            self.app.notify(error, title="insight view failed", severity="warning")
        self.last_error = error
        if "boundary" in insights:
            b = insights["boundary"]
            self.boundary_view.show(b, f"epoch {epoch}: {b.feature_names[0]} across, {b.feature_names[1]} up")
        if "fit" in insights:
            fit = insights["fit"]
            what = {"curve": "real (red) and predicted (blue)", "series": "real (red) and predicted (blue), in time order",
                    "scatter": "predicted against true (on the red line is perfect)"}[fit.kind]
            self.fit_chart.show(fit, f"epoch {epoch}: {what}")
        if "confusion" in insights:
            self.confusion = insights["confusion"]
            self.confusion_view.update(confusion_table(self.confusion))

    def draw_norms(self, curves: Curves) -> None:
        if self.view != "norms":
            return
        self.norms_note.update(gradient_note(curves), layout=False)
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
