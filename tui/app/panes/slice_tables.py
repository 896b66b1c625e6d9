"""What the slice explorer's tables and plot hold: the slices by a metric with their
intervals, the worst slices, the metric over time with its estimate; on an alert's
drill-down, the slices by the alert's own measure, a drift alert's bins baseline
against now, and the example rows with the alert's feature first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from tui.app.widgets.plot import Series
from tui.app.widgets.rows import Column
from tui.core.alerts.drill import Drill
from tui.core.checks.estimated import daily_estimate
from tui.core.config.settings import Model, Settings
from tui.core.slices.explore import metric_series
from tui.core.slices.focus import FocusSlice
from tui.core.slices.records import SeriesPoint, SliceRow, WorstSlice, WorstSummary
from tui.core.slices.request import Request
from tui.core.store.connection import Store
from tui.core.store.sqlparts import slice_value
from tui.core.words import interval, num, pct, slice_text, when

Cells = list[tuple[str, tuple[str | Text, ...]]]
Columns = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class FocusAnswer:
    """An alert's drill-down: per slice, the share of its offending rows (null rate,
    out-of-range rate...), worst first."""

    req: Request
    drill: Drill
    slices: list[FocusSlice]


@dataclass(frozen=True)
class SlicesAnswer:
    """One recompute: the slices, the worst of them and the metric over time."""

    req: Request
    metric: str
    rows: list[SliceRow]
    source: str
    worst: list[WorstSlice]
    summary: WorstSummary
    series: list[SeriesPoint]
    # Why the metric has no estimate beside it, when it could have one.
    no_estimate: str | None = None
    # The estimate is still being fitted; it follows as an EstimateAnswer.
    estimate_pending: bool = False


@dataclass(frozen=True)
class EstimateAnswer:
    """The metric over time with its estimate, computed after the slices (its fit on
    the reference rows takes seconds at millions of rows)."""

    req: Request
    metric: str
    series: list[SeriesPoint]
    no_estimate: str | None = None


def estimate_answer(store: Store, settings: Settings, req: Request, metric: str) -> EstimateAnswer:
    """The daily estimate of the request and the metric over time beside it."""
    with store.read() as con:
        report, why = daily_estimate(con, settings, req)
        return EstimateAnswer(req, metric, metric_series(con, req, metric, report), why)


def drill_caption(drill: Drill | None) -> str:
    """What a drill-down shows, in words: the alert, its measure and its slice."""
    if drill is None:
        return ""
    return f"alert #{drill.alert_id}: {drill.metric} on {slice_text(drill.slice) or 'all rows'} · "


def focus_table(slices: list[FocusSlice], drill: Drill) -> tuple[Cells, Columns]:
    """Per slice: rows, the share that offends and how many, the latest row; for an
    alert whose rows all count alike (volume, freshness), the rows only."""
    measure = drill.measure
    every = drill.focus.kind == "all"
    cells: Cells = []
    for i, r in enumerate(slices):
        rate = Text(pct(r.rate), style="red" if r.offending else "")
        share = () if every else (rate, f"{r.offending:,}")
        cells.append(
            (f"f{i}", (slice_text(r.slice) or "(all)", f"{r.n:,}", *share, when(r.last_ts)))
        )
    columns: Columns = (("slice", 34), ("n" if not every else measure, 9))
    if not every:
        columns += ((measure, max(len(measure), 8)), ("offending", 9))
    return cells, (*columns, ("last row", 11))


def bin_table(drill: Drill) -> tuple[Cells, Columns]:
    """A drift alert's bins, baseline against now, those that grew most first; for other
    alerts, which rows are shown below."""
    if not drill.bins:
        return [("none", (drill.focus.what,))], (("the rows below", 40),)
    cells: Cells = [
        (
            f"b{i}",
            (
                b.label,
                pct(b.baseline),
                pct(b.current),
                Text(f"{b.shift:+.1%}", style="red" if b.shift > 0 else ""),
            ),
        )
        for i, b in enumerate(drill.bins)
    ]
    return cells, (("bins, most grown first", 24), ("baseline", 9), ("now", 7), ("shift", 7))


def example_table(
    spec: Model, rows: Sequence[dict[str, Any]], marked: set[str], lead: str | None
) -> tuple[list[Column], list[tuple[str | Text, ...]]]:
    """The example rows' columns and cells: the mark, id, time, slices, what the model
    said and what came true, then the features; the feature an alert is about (`lead`)
    right after the time, so its offending value is on screen at any width."""
    widths = {"prediction_id": 14, "ts": 11, "score": 7, "label": 8, "prediction": 10}
    # A feature that is also a slice is shown once, with the slices.
    features = [f for f in spec.features if f not in spec.slices]
    if lead in features:
        features = [lead, *(f for f in features if f != lead)]
    columns = [
        Column("", 1),
        *(
            Column(name, widths.get(name, max(len(name), 8)))
            for name in ("prediction_id", "ts", *spec.slices, "prediction", "score", "label")
        ),
        Column("delay h", 7),
        *(Column(f, max(len(f), 8)) for f in features),
    ]
    if lead in features:
        columns.insert(3, columns.pop(-len(features)))
    out = []
    for r in rows:
        wrong = r["correct"] is False
        cells: list[str | Text] = [
            "•" if str(r["prediction_id"]) in marked else "",
            Text(str(r["prediction_id"]), style="red" if wrong else ""),
            when(r["ts"]),
            *(slice_value(r[c]) for c in spec.slices),
            str(r["prediction"]),
            num(r["score"]),
            str(r["label"] or "—"),
            num(r["delay_hours"]),
            *(num(r[f]) if isinstance(r[f], float) else str(r[f]) for f in features),
        ]
        if lead in features:
            cells.insert(3, cells.pop(-len(features)))
        out.append(tuple(cells))
    return columns, out


def slice_table(rows: Sequence[SliceRow], metric: str) -> tuple[Cells, Columns]:
    """Per slice: rows, label coverage, the metric with its interval, and its difference
    from the whole (red where worse)."""
    columns: Columns = (
        ("slice", 34),
        ("n", 9),
        ("labeled", 7),
        (metric, 8),
        ("95% CI", 13),
        ("diff", 8),
    )
    cells: Cells = []
    for i, r in enumerate(rows):
        diff = r.diff(metric)
        red = diff is not None and diff < 0
        cells.append(
            (
                f"s{i}",
                (
                    slice_text(r.slice) or "(all)",
                    f"{r.n:,}",
                    pct(r.coverage),
                    num(r.value(metric)),
                    interval(r.interval(metric)),
                    Text(num(diff), style="red" if red else ""),
                ),
            )
        )
    return cells, columns


def worst_table(worst: Sequence[WorstSlice], metric: str) -> tuple[Cells, Columns]:
    """The slices found clearly worse than the whole, with their lift."""
    columns: Columns = (("worst slices", 30), ("labeled", 8), (metric, 8), ("lift", 5))
    cells: Cells = [
        (f"w{i}", (slice_text(r.slice), f"{r.n_labeled:,}", num(r.value), num(r.lift)))
        for i, r in enumerate(worst)
    ]
    if not worst:
        cells.append(("none", ("no slice clearly worse", "", "", "")))
    return cells, columns


def metric_plots(
    series: Sequence[SeriesPoint], metric: str, no_estimate: str | None, pending: bool = False
) -> tuple[list[Series], str, list[str] | None]:
    """The metric per day from labels, its estimate and the estimate's band; the
    caption; and the days whose labels are still arriving (their value may yet move)."""
    plots = [Series(f"{metric} (labels)", [s.value for s in series])]
    if any(s.estimated is not None for s in series):
        plots.append(Series(f"{metric} (estimate)", [s.estimated for s in series], "○", "cyan"))
    if any(s.band is not None for s in series):
        plots.append(
            Series("95% band", [s.band[0] if s.band else None for s in series], "·", "cyan")
        )
        plots.append(Series("", [s.band[1] if s.band else None for s in series], "·", "cyan"))
    first = series[0].day if series else None
    caption = f"per day from {first:%m-%d}" if first else ""
    if no_estimate:
        caption += f"; no estimate: {no_estimate}"
    elif pending:
        caption += "; estimate computing…"
    marks = ["incomplete" if s.labels_complete is False else "" for s in series]
    return plots, caption, marks if any(marks) else None
