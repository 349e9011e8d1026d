"""Keyboard chart controls shared by the Training tab and the Runs overlay."""

from __future__ import annotations

from textual.binding import Binding

from tui_dl.i18n import N_, _
from tui_dl.ui.series import ChartOptions

SMOOTHING_STEP = 0.1


# Not in the key bar: the chart options line above the charts lists them (options_hint).
CHART_BINDINGS = [
    Binding("right_square_bracket", "smoothing(1)", N_("Smooth+"), key_display="]", show=False),
    Binding("left_square_bracket", "smoothing(-1)", N_("Smooth-"), key_display="[", show=False),
    Binding("l", "log_y", N_("Log y"), show=False),
    Binding("x", "x_axis", N_("X axis"), show=False),
    Binding("z", "zoom", N_("Zoom"), show=False),
]


def options_hint(options: ChartOptions) -> str:
    """The chart options and their keys, as one line of markup."""
    return _("[dim]charts:[/] {options}   [dim]\\[ ] smoothing  l log y  x x-axis  z zoom[/]").format(
        options=options.describe())


class ChartKeys:
    """Actions that change `chart_options`, then call `options_changed()` (a mixin for widgets).

    Textual merges BINDINGS only from widget classes, so a widget using this lists CHART_BINDINGS itself.
    """

    chart_options: ChartOptions

    def options_changed(self) -> None:
        raise NotImplementedError

    def action_smoothing(self, direction: int) -> None:
        """More (1) or less (-1) EMA smoothing."""
        self.chart_options.adjust_smoothing(direction * SMOOTHING_STEP)
        self.options_changed()

    def action_log_y(self) -> None:
        """Toggle a log-scale y axis."""
        self.chart_options.log_y = not self.chart_options.log_y
        self.options_changed()

    def action_x_axis(self) -> None:
        """Next x axis: epoch, step, time."""
        self.chart_options.cycle_x_axis()
        self.options_changed()

    def action_zoom(self) -> None:
        """Next zoom: all epochs, the last 10, 25, 50, 100, 250."""
        self.chart_options.cycle_zoom()
        self.options_changed()
