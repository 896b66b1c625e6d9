"""Widgets: plots, the status line, the key bar and plain-text tables."""

from tui.app.widgets.keybar import KeyBar
from tui.app.widgets.plot import SeriesPlot
from tui.app.widgets.status import StatusLine
from tui.app.widgets.table import Table

__all__ = ["KeyBar", "SeriesPlot", "StatusLine", "Table"]
