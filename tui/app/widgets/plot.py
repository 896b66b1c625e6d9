"""A small text plot: one or more series over time, with a threshold line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.widgets import Static

from tui.core.chart import Series, render_plot

__all__ = ["Series", "SeriesPlot", "render_plot"]


class SeriesPlot(Static):
    """A plot widget that redraws itself at its current size."""

    DEFAULT_CSS = "SeriesPlot { height: 9; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._series: list[Series] = []
        self._threshold: float | None = None
        self._caption = ""
        self._times: Sequence[datetime] | None = None
        self._marks: Sequence[str] | None = None

    @property
    def series(self) -> list[Series]:
        """What is drawn, in drawing order."""
        return list(self._series)

    @property
    def threshold(self) -> float | None:
        """The threshold line, if any."""
        return self._threshold

    @property
    def marks(self) -> list[str]:
        """One status per point (failing windows, days whose labels are incomplete)."""
        return list(self._marks or [])

    def plot(
        self,
        series: list[Series],
        threshold: float | None = None,
        caption: str = "",
        *,
        times: Sequence[datetime] | None = None,
        marks: Sequence[str] | None = None,
    ) -> None:
        """Show these series (call from the event loop); `times` and `marks` (one per
        point) add a time axis and the failing windows."""
        self._series, self._threshold, self._caption = series, threshold, caption
        self._times, self._marks = times, marks
        self.refresh_plot()

    def refresh_plot(self) -> None:
        width = max(self.size.width, 40)
        extra = 1 + (self._times is not None) + bool(self._marks)
        height = max(self.size.height - extra, 3)
        self.update(
            render_plot(
                self._series,
                self._threshold,
                width,
                height,
                self._caption,
                times=self._times,
                marks=self._marks,
            )
        )

    def on_resize(self) -> None:
        self.refresh_plot()
