"""A small text plot: one or more series over time, with a threshold line."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class Series:
    """Values in time order (None where undefined), drawn with one glyph and style."""

    name: str
    values: list[float | None]
    glyph: str = "●"
    style: str = "bold"


def render_plot(
    series: list[Series], threshold: float | None, width: int, height: int, caption: str = ""
) -> Text:
    """Draw the series in a `width` × `height` character grid; the threshold is a dashed
    row; the y range covers the data and the threshold."""
    values = [v for s in series for v in s.values if v is not None]
    if threshold is not None:
        values.append(threshold)
    out = Text()
    if not values or width < 8 or height < 3:
        out.append("no data to plot", style="dim")
        return out
    lo, hi = min(values), max(values)
    if hi == lo:
        hi = lo + 1.0
    plot_w = max(4, width - 9)
    grid = [[" "] * plot_w for _ in range(height)]
    styles: dict[tuple[int, int], str] = {}

    def row_of(v: float) -> int:
        return height - 1 - round((v - lo) / (hi - lo) * (height - 1))

    if threshold is not None:
        r = row_of(threshold)
        for c in range(plot_w):
            grid[r][c] = "┄"
            styles[(r, c)] = "red"
    for s in series:
        n = len(s.values)
        for i, v in enumerate(s.values):
            if v is None:
                continue
            c = 0 if n == 1 else round(i * (plot_w - 1) / (n - 1))
            r = row_of(v)
            grid[r][c] = s.glyph
            styles[(r, c)] = s.style
    for r in range(height):
        label = f"{hi:>8.3g}" if r == 0 else f"{lo:>8.3g}" if r == height - 1 else " " * 8
        out.append(label + "│", style="dim")
        for c in range(plot_w):
            out.append(grid[r][c], style=styles.get((r, c), ""))
        out.append("\n")
    legend = "  ".join(f"{s.glyph} {s.name}" for s in series)
    if threshold is not None:
        legend += f"  ┄ threshold {threshold:.3g}"
    out.append(" " * 9 + legend + (f"  {caption}" if caption else ""), style="dim")
    return out


class SeriesPlot(Static):
    """A plot widget that redraws itself at its current size."""

    DEFAULT_CSS = "SeriesPlot { height: 9; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._series: list[Series] = []
        self._threshold: float | None = None
        self._caption = ""

    @property
    def series(self) -> list[Series]:
        """What is drawn, in drawing order."""
        return list(self._series)

    @property
    def threshold(self) -> float | None:
        """The threshold line, if any."""
        return self._threshold

    def plot(self, series: list[Series], threshold: float | None = None, caption: str = "") -> None:
        """Show these series (call from the event loop)."""
        self._series, self._threshold, self._caption = series, threshold, caption
        self.refresh_plot()

    def refresh_plot(self) -> None:
        width = max(self.size.width, 40)
        height = max(self.size.height - 1, 3)
        self.update(render_plot(self._series, self._threshold, width, height, self._caption))

    def on_resize(self) -> None:
        self.refresh_plot()
