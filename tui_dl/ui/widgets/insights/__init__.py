"""The Insights tab's views: the plane (boundary or predicted value), fit, confusion matrix, norms, system."""

from tui_dl.ui.widgets.insights.panel import InsightsPanel

__all__ = ["InsightsPanel"]
