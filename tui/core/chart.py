"""A text chart of a metric over time: both faces draw an alert's episode with it.

The app shows it in a widget, the CLI prints it under `alerts show`; the same points,
threshold, failing-window marks and time axis either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

# How a failing window is marked on the row under the plot, by its status.
MARKS = {"warning": ("▴", "yellow"), "critical": ("▲", "bold red")}
# A window whose labels are still arriving (its realised value may yet move).
INCOMPLETE = ("◌", "dim yellow")
LABEL_WIDTH = 8  # the y-axis labels, then a bar


@dataclass(frozen=True)
class Series:
    """Values in time order (None where undefined), drawn with one glyph and style."""

    name: str
    values: list[float | None]
    glyph: str = "●"
    style: str = "bold"


def render_plot(
    series: list[Series],
    threshold: float | None,
    width: int,
    height: int,
    caption: str = "",
    *,
    times: Sequence[datetime] | None = None,
    marks: Sequence[str] | None = None,
) -> Text:
    """Draw the series in a `width` × `height` character grid. The threshold is a dashed
    row and the y range covers the data and the threshold. With `marks` (one status per
    point) a row under the plot marks the failing windows; with `times` (one per point)
    an axis gives the first, middle and last time."""
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
    plot_w = max(4, width - LABEL_WIDTH - 1)
    grid = [[" "] * plot_w for _ in range(height)]
    styles: dict[tuple[int, int], str] = {}

    def row_of(v: float) -> int:
        return height - 1 - round((v - lo) / (hi - lo) * (height - 1))

    def column_of(i: int, n: int) -> int:
        return 0 if n == 1 else round(i * (plot_w - 1) / (n - 1))

    if threshold is not None:
        r = row_of(threshold)
        for c in range(plot_w):
            grid[r][c] = "┄"
            styles[(r, c)] = "red"
    for s in series:
        for i, v in enumerate(s.values):
            if v is not None:
                r, c = row_of(v), column_of(i, len(s.values))
                grid[r][c] = s.glyph
                styles[(r, c)] = s.style
    pad = " " * LABEL_WIDTH
    for r in range(height):
        label = f"{hi:>8.3g}" if r == 0 else f"{lo:>8.3g}" if r == height - 1 else pad
        out.append(label + "│", style="dim")
        for c in range(plot_w):
            out.append(grid[r][c], style=styles.get((r, c), ""))
        out.append("\n")
    incomplete = bool(marks) and "incomplete" in (marks or ())
    if marks and (any(m in MARKS for m in marks) or incomplete):
        row = [" "] * plot_w
        row_styles: dict[int, str] = {}
        for i, status in enumerate(marks):
            c = column_of(i, len(marks))
            if status in MARKS:
                # A critical mark wins over a warning one sharing its column.
                if row[c] != MARKS["critical"][0]:
                    row[c], row_styles[c] = MARKS[status]
            elif status == "incomplete" and row[c] == " ":
                row[c], row_styles[c] = INCOMPLETE
        out.append(pad + "│", style="dim")
        for c in range(plot_w):
            out.append(row[c], style=row_styles.get(c, ""))
        out.append("\n")
    if times:
        out.append(pad + " " + time_axis(times, plot_w) + "\n", style="dim")
    # A series without a name (the other edge of a band) shares its partner's entry.
    legend = "  ".join(f"{s.glyph} {s.name}" for s in series if s.name)
    if threshold is not None:
        legend += f"  ┄ threshold {threshold:.3g}"
    if marks and any(m in MARKS for m in marks):
        legend += "  ▴ warning ▲ critical window"
    if incomplete:
        legend += f"  {INCOMPLETE[0]} labels incomplete"
    out.append(pad + " " + legend + (f"  {caption}" if caption else ""), style="dim")
    return out


def time_axis(times: Sequence[datetime], width: int) -> str:
    """The first, middle and last of `times` placed under their columns (dates and
    UTC hours), as many as fit in `width`."""
    first, last = times[0], times[-1]
    fmt = "%m-%d %H:%M"
    left, right = first.strftime(fmt), last.strftime(fmt)
    if width < len(left) + len(right) + 2 or len(times) == 1:
        return left[:width]
    axis = [" "] * width
    axis[: len(left)] = left
    axis[width - len(right) :] = right
    middle = times[len(times) // 2].strftime(fmt)
    start = (width - len(middle)) // 2
    if start > len(left) + 1 and start + len(middle) < width - len(right) - 1:
        axis[start : start + len(middle)] = middle
    return "".join(axis)
