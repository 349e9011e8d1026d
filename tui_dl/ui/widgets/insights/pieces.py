"""The neurons-as-pieces view: a one-input model's curve as a constant plus one piece per hidden neuron.

As in the study notes: the red curve (the model) is the constant plus the sum of the blue pieces, each
c_i * a(w_i . h + b_i); with ReLU, two pieces of opposite slope make a hard sigmoid.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_dl.engine.insights.views import Pieces
from tui_dl.i18n import _
from tui_dl.ui.widgets.charts import MARKER, ThemedPlot

PIECE_COLORS = ("blue", "cyan", (90, 140, 255), (0, 175, 175), "magenta", (130, 110, 230), (70, 190, 250),
                (170, 120, 200))
DATA_COLOR = (120, 120, 120)
REST_COLOR = (150, 150, 150)


def describe(p: Pieces) -> str:
    """The formula the chart draws, and which pieces it shows."""
    terms = f"y = b + Σ c_i·{p.activation}(w_i·{'x' if p.layer == 1 else 'h'} + b_i)"
    formula = (_("{formula} over its hidden layer's {n} neurons") if p.layer == 1 else
               _("{formula} over hidden layer {layer}'s (the last) {n} neurons")).format(
        formula=terms, layer=p.layer, n=p.total)
    if len(p.pieces) == p.total:
        return _("{formula}: every neuron drawn").format(formula=formula)
    return _("{formula}: the {drawn} that swing most drawn, the other {rest} summed in grey").format(
        formula=formula, drawn=len(p.pieces), rest=p.total - len(p.pieces))


class PiecesChart(ThemedPlot):
    """The data (grey dots), each shown neuron's piece, the rest summed, the constant and their sum (red)."""

    def draw(self, p: Pieces | None) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if p is not None:
            xs = p.x.tolist()
            plt.scatter(p.points_x.tolist(), p.points_y.tolist(), color=DATA_COLOR, marker="dot", label=_("data"))
            for i, (piece, neuron) in enumerate(zip(p.pieces, p.neurons)):
                label = _("neuron pieces c·{activation}(...): {neurons}").format(
                    activation=p.activation, neurons=", ".join(map(str, p.neurons))) if i == 0 else None
                plt.plot(xs, piece.tolist(), color=PIECE_COLORS[i % len(PIECE_COLORS)], marker=MARKER, label=label)
            if len(p.pieces) < p.total:
                plt.plot(xs, p.rest.tolist(), color=REST_COLOR, marker=MARKER,
                         label=_("the other {n}, summed").format(n=p.total - len(p.pieces)))
            plt.plot([xs[0], xs[-1]], [p.constant, p.constant], color="green", marker=MARKER,
                     label=_("constant b = {b}").format(b=f"{p.constant:.3g}"))
            plt.plot(xs, p.output.tolist(), color="red", marker=MARKER, label=_("sum = the model's output"))
            plt.xlabel(p.x_label)
        self.refresh()


class PiecesView(Vertical):
    """The chart under its title, which wraps when narrow (plotext drops a title wider than the chart)."""

    DEFAULT_CSS = "PiecesView { height: 1fr; } PiecesView > Static { height: auto; max-height: 3; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pieces: Pieces | None = None
        self.note = _("the pieces appear here while a one-input regression set trains")
        self.title_line = Static(self.note, markup=False)
        self.chart = PiecesChart()

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.chart

    def show(self, p: Pieces | None, note: str) -> None:
        self.pieces, self.note = p, note
        self.title_line.update(note)
        self.chart.draw(p)
