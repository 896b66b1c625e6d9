"""Checks that wait for labels: label delay, SLOs and the offline-versus-online gap.

Label delay is judged overall and per slice value, so one city whose labels stopped
names that city. When the whole model's labels stop, every slice fails with it; a
failing slice is then reported on its own only when it is clearly worse than the
whole (its shortfall at least LOCAL_FACTOR times the overall one, judged by the
favourable end of its interval) and is `covered` by the overall alert otherwise, so
one outage is one alert, not one per slice value.

SLO windows carry an interval for their metric (`detail.interval`): Wilson for the
binary proportions, Wilson-on-J for F1, Hanley–McNeil for AUC, a normal interval for
MAE, RMSE, bias and MAPE, a seeded bootstrap for the multiclass F1s. A window is
critical only when its whole interval is on the wrong side of the objective and a
warning when the point is but the interval straddles it; a metric without an
interval (R²) is critical when more than 10% past the objective.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tui.core.checks.baseline import offline_targets
from tui.core.checks.context import Context
from tui.core.checks.results import (
    FAILING,
    LOCAL_FACTOR,
    Result,
    Status,
    grade_above,
    grade_below,
)
from tui.core.checks.spans import Span
from tui.core.config.settings import ESTIMATED_PREFIX, LOWER_IS_BETTER, Model, Slo
from tui.core.config.times import Period, period_floor
from tui.core.slices.metrics import wilson
from tui.core.slices.outcomes import (
    Counts,
    WindowKey,
    _bootstrap,
    _multiclass,
    auc_from_histogram,
    task_metrics,
    window_outcomes,
)
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import grouping_sets, predictions_table, slice_keys, which_slice

INF = float("inf")


def _slo_status(slo: Slo, value: float | None, ci: tuple[float, float] | None) -> Status:
    if value is None:
        return "insufficient"
    if slo.min is not None and value < slo.min:
        certain = ci is not None and ci[1] < slo.min
        relative = (slo.min - value) / abs(slo.min) if slo.min else INF
        return "critical" if certain or (ci is None and relative > 0.1) else "warning"
    if slo.max is not None and value > slo.max:
        certain = ci is not None and ci[0] > slo.max
        relative = (value - slo.max) / abs(slo.max) if slo.max else INF
        return "critical" if certain or (ci is None and relative > 0.1) else "warning"
    return "pass"


# ---------------------------------------------------------------- label delay


def _delay_detail(r: dict[str, Any], model: Model) -> dict[str, Any]:
    return {
        "labeled": int(r["labeled"]),
        "on_time": int(r["on_time"]),
        "p50_hours": r["p50_hours"],
        "p90_hours": r["p90_hours"],
        "p99_hours": r["p99_hours"],
        "expected_delay_hours": model.labels.expected_delay.total_seconds() / 3600,
    }


def _cover_slices(results: list[Result]) -> None:
    """Per window: when the overall coverage fails, a failing slice not clearly worse
    than overall is `covered` by the overall alert (see the module docstring)."""
    by_window: dict[Any, list[Result]] = defaultdict(list)
    for r in results:
        by_window[r.window_start].append(r)
    for members in by_window.values():
        overall = next((r for r in members if r.slice is None), None)
        if overall is None or overall.status not in FAILING or overall.value is None:
            continue
        shortfall = 1.0 - overall.value
        for r in members:
            if r.slice is None or r.status not in FAILING:
                continue
            best = r.detail.get("on_time_high", r.value)
            if best is None or 1.0 - best < LOCAL_FACTOR * shortfall:
                r.detail["covered_by"] = "overall"
                r.status = "covered"


def evaluate_label_delay(ctx: Context, span: Span) -> list[Result]:
    """The share of each window's predictions labelled within the expected delay, overall
    and per slice value.

    A slice value with fewer than `checks.min_rows` rows is insufficient; one with
    enough fails only when even the upper end of the Wilson interval of its on-time
    share is below `labels.min_fraction`, so a small slice's noise is not an alert."""
    model_name = ctx.model_name
    model = ctx.model
    policy = model.labels
    rows = fetch_rows(
        ctx.con,
        "checks_label_delay",
        {
            "model": model_name,
            "start": span.start,
            "end": span.end,
            "step": span.step_seconds,
            "delay": int(policy.expected_delay.total_seconds()),
            "now": ctx.now,
        },
        table=predictions_table(model_name),
        slice_keys=slice_keys(model.slices),
        grouping_sets=grouping_sets(["w"], model.slices),
    )
    overall: dict[Any, dict[str, Any]] = {}
    per_slice: list[tuple[tuple[str, str], dict[str, Any]]] = []
    for r in rows:
        where = which_slice(r, model.slices)
        if where is None:
            overall[r["w"]] = r
        else:
            per_slice.append((where, r))
    out: list[Result] = []

    def result(
        w: Any,
        slice_: dict[str, str] | None,
        value: float | None,
        status: Status,
        n: int,
        detail: dict[str, Any],
    ) -> Result:
        return Result(
            model_name,
            "label_delay",
            "label_delay",
            None,
            slice_,
            w,
            span.end_of(w),
            value,
            policy.min_fraction,
            status,
            n,
            detail,
            known_at=span.end_of(w) + policy.expected_delay,
        )

    for w in span.windows():
        whole = overall.get(w)
        n = int(whole["n"]) if whole else 0
        frac = int(whole["on_time"]) / n if whole and n else None
        status = grade_below(frac, policy.min_fraction, policy.min_fraction / 2)
        out.append(result(w, None, frac, status, n, _delay_detail(whole, model) if whole else {}))
    for (column, value), r in per_slice:
        n, on_time = int(r["n"]), int(r["on_time"])
        detail = _delay_detail(r, model)
        slice_ = {column: value}
        if n < model.checks.min_rows:
            detail.update(reason="too few rows to judge", min_rows=model.checks.min_rows)
            out.append(
                result(r["w"], slice_, on_time / n if n else None, "insufficient", n, detail)
            )
            continue
        interval = wilson(on_time, n)
        assert interval is not None  # n > 0
        detail["on_time_high"] = interval[1]
        status = grade_below(interval[1], policy.min_fraction, policy.min_fraction / 2)
        out.append(result(r["w"], slice_, on_time / n, status, n, detail))
    _cover_slices(out)
    return out


# ---------------------------------------------------------------- SLOs and gaps


def _fill_auc(
    ctx: Context, span: Span, columns: list[str], outcomes: dict[WindowKey, Counts]
) -> None:
    """The exact AUC of every (window, slice) group, from positives and negatives per
    distinct score (ties count one half: the Mann–Whitney AUC that scikit-learn's
    `roc_auc_score` computes)."""
    rows = fetch_rows(
        ctx.con,
        "checks_score_auc",
        {
            "model": ctx.model_name,
            "positive": ctx.model.positive,
            "start": span.start,
            "end": span.end,
            "step": span.step_seconds,
            "now": ctx.now,
        },
        table=predictions_table(ctx.model_name),
        slice_keys=slice_keys(columns),
        grouping_sets=grouping_sets(["w", "p.score"], columns),
    )
    # Positives and negatives per distinct score; a month's days add up.
    points: dict[WindowKey, dict[float, list[int]]] = defaultdict(dict)
    for r in rows:
        where = which_slice(r, columns)
        w = span.window_of(r["w"])
        key: WindowKey = (w, where[0], where[1]) if where else (w, None, None)
        tally = points[key].setdefault(float(r["score"]), [0, 0])
        tally[0] += int(r["pos"])
        tally[1] += int(r["neg"])
    for key, by_score in points.items():
        found = sorted(by_score.items())
        if key in outcomes:
            outcomes[key].exact_auc = auc_from_histogram(
                [p for _, (p, _) in found], [q for _, (_, q) in found]
            )


def _outcomes(
    ctx: Context, span: Span, columns: list[str], metrics: set[str]
) -> dict[WindowKey, Counts]:
    """The outcomes of the span's windows overall and per value of ``columns`` (with the
    exact AUC when ``metrics`` asks for it). SLOs and the offline gap judge the same
    windows: the run's memo keeps one read per span, made with the columns of every SLO
    of that window length, so the second evaluator reuses it (each group's counts are
    the same whichever other groups a read holds)."""
    shared: dict[str, Any] = ctx.memo(("outcomes", span.start, span.end, span.step), dict)
    held = shared.get("columns")
    if held is None or not set(columns) <= set(held):
        wanted = sorted(set(columns) | set(held or ()) | _slo_columns(ctx.model, span.step))
        shared.clear()
        shared["columns"] = tuple(wanted)
        shared["auc"] = None
        shared["outcomes"] = window_outcomes(
            ctx.con,
            ctx.model_name,
            wanted,
            span.start,
            span.end,
            span.bucket,
            ctx.now,
            window_of=span.window_of,
            spec=ctx.model,
        )
    outcomes: dict[WindowKey, Counts] = shared["outcomes"]
    filled: set[str] | None = shared["auc"]
    wants_auc = ctx.model.task == "binary" and "auc" in metrics
    if wants_auc and (filled is None or not set(columns) <= filled):
        # Every AUC read holds the overall groups too.
        _fill_auc(ctx, span, columns, outcomes)
        shared["auc"] = (filled or set()) | set(columns)
    return outcomes


def _slo_columns(model: Model, window: Period) -> set[str]:
    """The `by:` columns of the model's SLOs judged over windows of ``window``."""
    return {
        s.by
        for s in model.slos
        if s.by and s.window == window and not s.metric.startswith(ESTIMATED_PREFIX)
    }


def _multiclass_interval(o: Counts, metric: str) -> tuple[float, float] | None:
    keys = sorted(o.pairs)

    def stat(d: list[int]) -> float | None:
        return _multiclass(dict(zip(keys, d, strict=True)))[metric]

    return _bootstrap([o.pairs[k] for k in keys], stat)


def slo_metric(
    model: Model, o: Counts, metric: str, slo: Slo | None = None
) -> tuple[float | None, tuple[float, float] | None]:
    """One SLO metric of a window's counts and its 95% interval (None where the metric
    has none, e.g. R²). A multiclass F1's interval is a bootstrap, which costs tens of
    milliseconds: given the ``slo``, it is drawn only for a window whose point misses
    the objective, the one case where the interval decides the severity."""
    metrics, intervals = task_metrics(model, o)
    value = metrics.get(metric)
    interval = intervals.get(metric)
    if value is not None and interval is None and metric in ("macro_f1", "weighted_f1"):
        passes = (
            slo is not None
            and (slo.min is None or value >= slo.min)
            and (slo.max is None or value <= slo.max)
        )
        if not passes:
            interval = _multiclass_interval(o, metric)
    return value, interval


def evaluate_slos(ctx: Context, span: Span) -> list[Result]:
    """Every SLO of the model, per window (and slice value for `by:` SLOs)."""
    # SLOs on estimates are judged by their own kind (tui.core.checks.estimated).
    slos = [s for s in ctx.model.slos if not s.metric.startswith(ESTIMATED_PREFIX)]
    if not slos:
        return []
    out: list[Result] = []
    # Each SLO over windows of its own length; the SLOs of one length share one read.
    by_window: dict[Period, list[Slo]] = {}
    for slo in slos:
        by_window.setdefault(slo.window, []).append(slo)
    for window, same in by_window.items():
        out += _judge_slos(ctx, window_span(span, window), same)
    return out


def window_span(span: Span, window: Period) -> Span:
    """The windows of ``window`` that ``span`` completes: the span itself when its step
    is that window, else every window that ends within it (a month ends within the
    days of the span, and is judged again while its labels arrive)."""
    if window == span.step:
        return span
    start = period_floor(span.start, window)
    return Span(start, max(start, period_floor(span.end, window)), window)


def _judge_slos(ctx: Context, span: Span, slos: list[Slo]) -> list[Result]:
    model_name = ctx.model_name
    model = ctx.model
    out: list[Result] = []
    by_columns = sorted({s.by for s in slos if s.by})
    outcomes = _outcomes(ctx, span, by_columns, {s.metric for s in slos})
    for slo in slos:
        check = f"slo:{slo.metric}" + (f":by={slo.by}" if slo.by else "")
        keys = sorted({(c, v) for (_w, c, v) in outcomes if c == slo.by}, key=lambda k: k[1] or "")
        threshold = slo.min if slo.min is not None else slo.max
        for w in span.windows():
            for col, value in keys:
                o = outcomes.get((w, col, value), Counts())
                slice_ = {col: value} if col is not None and value is not None else None

                metric: float | None = None
                status: Status = "insufficient"
                detail: dict[str, Any] = {
                    "reason": "insufficient labels",
                    "labeled": o.labeled,
                    "min_labeled": slo.min_labeled,
                    "rows": o.n,
                }
                if o.labeled >= slo.min_labeled:
                    metric, ci = slo_metric(model, o, slo.metric, slo)
                    status = _slo_status(slo, metric, ci)
                    detail = {
                        "metric": slo.metric,
                        "ci": ci,
                        "interval": list(ci) if ci else None,
                        "rows": o.n,
                        "coverage": o.labeled / o.n if o.n else None,
                    }
                    if metric is None:
                        # E.g. AUC or recall of a window whose labels hold one class only.
                        detail["reason"] = f"{slo.metric} is undefined on these labels"
                detail.update(span.label(w))
                out.append(
                    Result(
                        model_name,
                        check,
                        "slo",
                        None,
                        slice_,
                        w,
                        span.end_of(w),
                        metric,
                        threshold,
                        status,
                        o.labeled,
                        detail,
                    )
                )
    return out


def evaluate_offline_gap(ctx: Context, span: Span) -> list[Result]:
    """Online metrics against the offline validation ones."""
    model_name = ctx.model_name
    model = ctx.model
    gap = model.checks.offline_gap
    # The offline validation numbers, metric -> value: `offline:` laid over a labelled
    # reference file's own metrics.
    offline_metrics = ctx.memo(
        "offline_targets",
        lambda: offline_targets(ctx.con, ctx.settings, model_name, model, ctx.first_ts, ctx.now),
    )
    if not offline_metrics:
        return []
    outcomes = _outcomes(ctx, span, [], set(offline_metrics))
    out: list[Result] = []
    for w in span.windows():
        o = outcomes.get((w, None, None), Counts())
        metrics, _ = task_metrics(model, o) if o.labeled >= gap.min_labeled else ({}, {})
        for name, offline in sorted(offline_metrics.items()):
            online = metrics.get(name)
            if online is None or not offline:
                relative = None
            elif name in LOWER_IS_BETTER:
                relative = (online - offline) / abs(offline)
            else:
                relative = (offline - online) / abs(offline)
            status = grade_above(relative, gap.warn, gap.crit)
            out.append(
                Result(
                    model_name,
                    f"offline_gap:{name}",
                    "offline_gap",
                    None,
                    None,
                    w,
                    span.end_of(w),
                    relative,
                    gap.warn,
                    status,
                    o.labeled,
                    {
                        "metric": name,
                        "offline": offline,
                        "online": online,
                        "labeled": o.labeled,
                        "min_labeled": gap.min_labeled,
                        **span.label(w),
                    },
                )
            )
    return out
