"""Widgets: plots and the status line."""

from tui.app.widgets.plot import SeriesPlot
from tui.app.widgets.status import StatusLine

__all__ = ["SeriesPlot", "StatusLine"]
