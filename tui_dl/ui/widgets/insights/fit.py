"""The fit view: true and predicted targets of a regression set."""

from __future__ import annotations

from tui_dl.engine.insights.views import Fit
from tui_dl.i18n import _
from tui_dl.ui.widgets.charts import MARKER, ThemedPlot


class FitChart(ThemedPlot):
    """True (red) and predicted (blue) targets: along x or time, or predicted against true."""

    def show(self, fit: Fit | None, note: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(note)
        if fit is not None:
            if fit.kind == "scatter":
                plt.scatter(fit.true.tolist(), fit.predicted.tolist(), color="blue", marker=MARKER, label=_("samples"))
                lo, hi = float(min(fit.true.min(), fit.predicted.min())), float(max(fit.true.max(), fit.predicted.max()))
                plt.plot([lo, hi], [lo, hi], color="red", marker=MARKER, label=_("perfect (predicted = true)"))
            else:
                plt.plot(fit.x.tolist(), fit.true.tolist(), color="red", marker=MARKER, label=_("real"))
                plt.plot(fit.x.tolist(), fit.predicted.tolist(), color="blue", marker=MARKER, label=_("predicted"))
            plt.xlabel(fit.x_label)
            plt.ylabel(fit.y_label)
        self.refresh()
