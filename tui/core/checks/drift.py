"""Drift checks: feature distributions and scores against the baseline's bins.

Drift is judged at every check window over a trailing span of `checks.drift.window`
(the last 24 hours, judged each hour): a strong shift shows within hours, a weak one
once enough of the span holds it. Counts are read once per check window for the whole
due span plus one look-back, and summed over a sliding span here, not queried per
window; the look-back is one drift window, however long the history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import TypeVar

from tui.core.checks.baseline import Histogram, baseline_window
from tui.core.checks.context import Context
from tui.core.checks.counts import bin_counts, category_counts, score_bin_counts
from tui.core.checks.distances import Reference, distance, method_for, thresholds_for
from tui.core.checks.results import (
    FAILING,
    LOCAL_FACTOR,
    Result,
    Status,
    grade_above,
    localize,
)
from tui.core.checks.spans import Span
from tui.core.config.times import Period, trailing_start
from tui.core.store.sqlparts import predictions_table


def _reference(ctx: Context) -> Reference:
    # Reference windows are cut from stored predictions: a start/end baseline or the
    # first week; other kinds keep fixed thresholds (the Reference says so).
    stored = ctx.model.baseline is None or ctx.model.baseline.kind == "window"
    window = baseline_window(ctx.model, ctx.first_ts) if stored else None
    return ctx.memo(
        ("drift_reference", id(ctx.baseline)),
        lambda: Reference(ctx.con, ctx.model_name, ctx.model, ctx.baseline, window),
    )


def _distance(
    ctx: Context, name: str, hist: Histogram, actual: list[float], enough: bool
) -> tuple[float | None, Status, float, dict[str, object]]:
    """One window's drift by the feature's method (tui.core.checks.distances): the value
    (None without ``enough`` rows), its grade, the warn threshold and detail keys."""
    measured = distance(method_for(ctx.model, name), hist, actual)
    value = measured.value if enough else None
    limits = thresholds_for(ctx.model, name, _reference(ctx))
    status = grade_above(value, limits.warn, limits.crit)
    return value, status, limits.warn, {**measured.detail(), **limits.detail()}


Key = TypeVar("Key", bound=Hashable)
Bin = TypeVar("Bin", int, str)


def lookback_start(span: Span, width: Period) -> datetime:
    """Where the counts for a span's trailing judgements must start: the first window's
    span reaches ``width`` back from its end (a calendar month back for ``1mo``)."""
    return trailing_start(span.end_of(span.start), width)


def trailing_sums(
    per_step: Mapping[tuple[datetime, Key], Mapping[Bin, int]],
    span: Span,
    width: Period,
) -> dict[tuple[datetime, Key], dict[Bin, int]]:
    """Counts per (window, key) summed over the trailing ``width`` ending with each window
    of the span: the window starting at w covers [trailing_start(w + step), w + step),
    ``width`` back (a calendar month back for ``1mo``, so 28 to 31 days of steps).

    ``per_step`` holds counts per step window (from `lookback_start` to the span's end);
    a running total adds the step that enters and drops those that leave, so the cost
    is one pass over the steps whatever the width."""
    step = span.bucket
    windows = span.windows()
    series: dict[Key, dict[datetime, Mapping[Bin, int]]] = {}
    for (w, key), counts in per_step.items():
        series.setdefault(key, {})[w] = counts
    out: dict[tuple[datetime, Key], dict[Bin, int]] = {}
    if not windows:
        return out
    for key, by_step in series.items():
        running: Counter[Bin] = Counter()
        # The steps in the running total are [low, high); both only move on (a window
        # of months holds a month of day steps).
        low = high = lookback_start(span, width)
        for w in windows:
            end = span.end_of(w)
            while high < end:
                running.update(by_step.get(high, {}))
                high += step
            start = trailing_start(end, width)
            while low < start:
                running.subtract(by_step.get(low, {}))
                low += step
            out[(w, key)] = {b: n for b, n in running.items() if n}
    return out


def _judged(span: Span, w: datetime, width: Period, metric: str) -> dict[str, object]:
    # The result's own window is the check window it was judged at; the rows it judged
    # are the trailing span, which drill-downs and the drift picture show.
    end = span.end_of(w)
    return {
        "metric": metric,
        "span_start": trailing_start(end, width).isoformat(),
        "span_end": end.isoformat(),
    }


def evaluate_drift(ctx: Context, span: Span) -> list[Result]:
    """Every monitored feature's distribution over the trailing drift window, judged at
    every check window, against the baseline."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    base = ctx.baseline
    drift = model.checks.drift
    width = drift.window
    table = predictions_table(model_name)
    numeric = [f for f, s in model.features.items() if s.type == "numeric" and f in base]
    categorical = [f for f, s in model.features.items() if s.type == "categorical" and f in base]
    edges = {f: list(base[f].edges or ()) for f in numeric}
    start = lookback_start(span, width)
    bins = trailing_sums(
        bin_counts(con, table, numeric, edges, start, span.end, span.bucket), span, width
    )
    cats = trailing_sums(
        category_counts(con, table, categorical, start, span.end, span.bucket), span, width
    )
    out: list[Result] = []
    for w in span.windows():
        for name in [*numeric, *categorical]:
            hist = base[name]
            if name in numeric:
                per_bin = bins.get((w, name), {})
                actual = [float(per_bin.get(b, 0)) for b in range(len(hist.counts))]
            else:
                values = cats.get((w, name), {})
                known = list(hist.categories or ())
                # Values unseen in the baseline share one extra bucket.
                actual = [float(values.get(c, 0)) for c in known]
                actual.append(float(sum(v for k, v in values.items() if k not in known)))
            n = int(sum(actual))
            value, status, warn, extra = _distance(ctx, name, hist, actual, n >= drift.min_support)
            out.append(
                Result(
                    model_name,
                    f"drift:{name}",
                    "drift",
                    name,
                    None,
                    w,
                    span.end_of(w),
                    value,
                    warn,
                    status,
                    n,
                    {**_judged(span, w, width, drift.metric), **extra},
                )
            )
    return out


def evaluate_score_drift(ctx: Context, span: Span) -> list[Result]:
    """The score distribution, overall and per slice value, over the trailing drift
    window, judged at every check window, against the baseline."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    base = ctx.baseline
    drift = model.checks.drift
    width = drift.window
    if "score" not in base:
        return []
    edges = list(base["score"].edges or ())
    per_step = score_bin_counts(
        con,
        predictions_table(model_name),
        model.slices,
        edges,
        lookback_start(span, width),
        span.end,
        span.bucket,
    )
    counts = trailing_sums(
        {((w, (col, value))): bins for (w, col, value), bins in per_step.items()}, span, width
    )
    out: list[Result] = []
    keys = {key for (_w, key) in counts}
    for w in span.windows():
        for col, value in sorted(keys, key=lambda k: (k[0] or "", k[1] or "")):
            name = "score" if col is None else f"score|{col}={value}"
            hist = base.get(name)
            if hist is None:
                continue
            per_bin = counts.get((w, (col, value)), {})
            actual = [float(per_bin.get(b, 0)) for b in range(len(hist.counts))]
            n = int(sum(actual))
            enough = n >= drift.min_support and hist.total >= drift.min_support
            metric, status, warn, extra = _distance(ctx, name, hist, actual, enough)
            slice_ = {col: value} if col is not None and value is not None else None
            out.append(
                Result(
                    model_name,
                    "score_drift",
                    "score_drift",
                    None,
                    slice_,
                    w,
                    span.end_of(w),
                    metric,
                    warn,
                    status,
                    n,
                    {**_judged(span, w, width, drift.metric), **extra},
                )
            )
    localize(out)
    follow_overall(out)
    return out


def follow_overall(results: list[Result]) -> None:
    """A slice's score drift that is the overall drift seen through fewer rows is not a
    local problem, even in the hours before the overall crosses its own threshold.

    Judged every hour, a slice's noisier value crosses the warning an hour or two ahead
    of the overall one as a shift builds; `localize` covers it only once the overall
    fails. A failing slice not clearly worse than the overall (under LOCAL_FACTOR times
    it) is covered by the overall while that is rising towards failing too."""
    overall = {r.window_start: r for r in results if r.slice is None}
    for r in results:
        whole = overall.get(r.window_start)
        if r.slice is None or r.status not in FAILING or whole is None:
            continue
        if whole.value is None or r.value is None or whole.status in FAILING:
            continue
        if r.value < LOCAL_FACTOR * whole.value:
            r.detail["covered_by"] = "overall"
            r.status = "covered"
