"""Checks: the declarations in oncall.yaml turned into results for every due window.

Each kind keeps a watermark and evaluates the complete windows after it up to "now";
label-dependent kinds (slo, offline_gap) re-evaluate recent windows while labels are
still arriving. Statistics come from a few grouped queries per model over all due
windows at once (rows, nulls, bounds and allowed values in one scan; categorical and
binned counts in one each), not a query per window.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from tui.core.baseline import (
    Histogram,
    baseline_window,
    bin_counts,
    category_counts,
    load_baseline,
    score_bin_counts,
)
from tui.core.config import LOWER_IS_BETTER, Model, Settings, Slo
from tui.core.metrics import (
    Confusion,
    binary_intervals,
    binary_metrics,
    jensen_shannon,
    multiclass_metrics,
    psi,
    regression_metrics,
)
from tui.core.results import (
    Result,
    Status,
    grade_above,
    grade_below,
    grade_rate,
    localize,
    rate_lower_bound,
)
from tui.core.sqlparts import (
    grouping_sets,
    ident,
    predictions_table,
    raw,
    slice_keys,
    which_slice,
)
from tui.core.store import Store, execute, fetch_rows
from tui.core.timeparse import ceil_time, floor_time

KINDS = (
    "schema",
    "completeness",
    "bounds",
    "allowed_values",
    "distinct",
    "volume",
    "freshness",
    "drift",
    "score_drift",
    "label_delay",
    "slo",
    "offline_gap",
)
# Kinds evaluated on the short data-quality window; the rest name their own.
ROW_KINDS = (
    "schema",
    "completeness",
    "bounds",
    "allowed_values",
    "distinct",
    "volume",
    "freshness",
)
INF = float("inf")


@dataclass(frozen=True)
class Span:
    """The windows of one step to evaluate: [start, end) in steps of ``step``."""

    start: datetime
    end: datetime
    step: timedelta

    def windows(self) -> list[datetime]:
        out, w = [], self.start
        while w < self.end:
            out.append(w)
            w += self.step
        return out

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    @property
    def step_seconds(self) -> int:
        return int(self.step.total_seconds())


@dataclass
class ModelRun:
    """What one check run did for one model."""

    model: str
    results: list[Result] = field(default_factory=list)
    spans: dict[str, Span] = field(default_factory=dict)


def _span(
    kind: str,
    step: timedelta,
    first_ts: datetime,
    watermarks: dict[str, datetime],
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    lag: timedelta = timedelta(0),
    horizon: timedelta | None = None,
) -> Span:
    """The due windows of a kind: after its watermark (or the first data), complete by now."""
    end = floor_time(now - lag, step)
    if until is not None:
        end = min(end, ceil_time(until, step))
    if since is not None:
        start = floor_time(since, step)
    else:
        start = watermarks.get(kind, floor_time(first_ts, step))
        if horizon is not None:
            start = min(start, floor_time(now - horizon, step))
        start = max(start, floor_time(first_ts, step))
    return Span(start, end, step)


def plan_spans(
    settings: Settings,
    model: Model,
    first_ts: datetime,
    watermarks: dict[str, datetime],
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Span]:
    """The due windows of every kind for one model."""
    checks = settings.config.checks
    delay = model.labels.expected_delay
    horizon = 2 * delay
    spans = {}
    for kind in ROW_KINDS:
        spans[kind] = _span(kind, checks.window, first_ts, watermarks, now, since, until)
    for kind in ("drift", "score_drift"):
        spans[kind] = _span(kind, checks.drift.window, first_ts, watermarks, now, since, until)
    spans["label_delay"] = _span(
        "label_delay", timedelta(days=1), first_ts, watermarks, now, since, until, lag=delay
    )
    slo_step = min((s.window for s in model.slos), default=timedelta(days=1))
    spans["slo"] = _span("slo", slo_step, first_ts, watermarks, now, since, until, horizon=horizon)
    spans["offline_gap"] = _span(
        "offline_gap",
        checks.offline_gap.window,
        first_ts,
        watermarks,
        now,
        since,
        until,
        horizon=horizon,
    )
    if model.task != "binary":
        spans.pop("score_drift")
    return spans


# ---------------------------------------------------------------- data quality


def _row_stats(
    con: duckdb.DuckDBPyConnection, model_name: str, model: Model, span: Span
) -> list[dict[str, Any]]:
    features = list(model.features)
    lo: list[float] = []
    hi: list[float] = []
    allowed: list[list[str]] = []
    stats = []
    for i, name in enumerate(features, start=1):
        spec = model.features[name]
        col = ident(name)
        stats.append(f"count(*) FILTER (WHERE {col} IS NULL) AS {ident('nulls__' + name)}")
        if spec.type == "numeric":
            lo.append(spec.min if spec.min is not None else -INF)
            hi.append(spec.max if spec.max is not None else INF)
            allowed.append([])
            bad = f"{col} < $lo[{i}] OR {col} > $hi[{i}]"
            stats.append(f"count(*) FILTER (WHERE {bad}) AS {ident('bad__' + name)}")
            stats.append(f"min({col}) FILTER (WHERE {bad}) AS {ident('example__' + name)}")
        else:
            lo.append(-INF)
            hi.append(INF)
            allowed.append(list(spec.allowed or []))
            if spec.allowed is not None:
                bad = f"NOT list_contains($allowed[{i}], {col})"
                stats.append(f"count(*) FILTER (WHERE {bad}) AS {ident('bad__' + name)}")
                stats.append(f"min({col}) FILTER (WHERE {bad}) AS {ident('example__' + name)}")
    return fetch_rows(
        con,
        "checks_row_stats",
        {
            "start": span.start,
            "end": span.end,
            "step": span.step_seconds,
            "lo": lo,
            "hi": hi,
            "allowed": allowed,
        },
        table=predictions_table(model_name),
        slice_keys=slice_keys(model.slices),
        grouping_sets=grouping_sets(["w"], model.slices),
        stats=raw(", ".join(stats) if stats else "0 AS no_features"),
    )


def _data_quality(
    model_name: str,
    model: Model,
    settings: Settings,
    span: Span,
    rows: list[dict[str, Any]],
) -> list[Result]:
    checks = settings.config.checks
    out: list[Result] = []
    for row in rows:
        w = row["w"]
        where = which_slice(row, model.slices)
        slice_ = {where[0]: where[1]} if where else None
        n = int(row["n"])
        enough = n >= (checks.min_rows if slice_ else 1)
        for name, spec in model.features.items():
            nulls = int(row[f"nulls__{name}"])
            frac = nulls / n if n else None
            crit = max(2 * spec.max_null, spec.max_null + 0.1)
            status: Status = grade_rate(nulls, n, spec.max_null, crit) if enough else "insufficient"
            out.append(
                Result(
                    model_name,
                    f"completeness:{name}",
                    "completeness",
                    name,
                    slice_,
                    w,
                    w + span.step,
                    frac,
                    spec.max_null,
                    status,
                    n,
                    {"nulls": nulls, "rate_low": rate_lower_bound(nulls, n)},
                )
            )
            kind = "bounds" if spec.type == "numeric" else "allowed_values"
            has_rule = (
                spec.type == "numeric" and (spec.min is not None or spec.max is not None)
            ) or (spec.type == "categorical" and spec.allowed is not None)
            if not has_rule:
                continue
            rate = checks.bounds if kind == "bounds" else checks.allowed_values
            bad = int(row[f"bad__{name}"])
            present = n - nulls
            frac_bad = bad / present if present else None
            status = grade_rate(bad, present, rate.warn, rate.crit) if enough else "insufficient"
            detail: dict[str, Any] = {"violations": bad, "rate_low": rate_lower_bound(bad, present)}
            if bad:
                detail["example"] = row[f"example__{name}"]
            if kind == "bounds":
                detail["min"], detail["max"] = spec.min, spec.max
            else:
                detail["allowed"] = spec.allowed
            out.append(
                Result(
                    model_name,
                    f"{kind}:{name}",
                    kind,
                    name,
                    slice_,
                    w,
                    w + span.step,
                    frac_bad,
                    rate.warn,
                    status,
                    present,
                    detail,
                )
            )
    # A window without rows says nothing about nulls or bounds (volume and freshness
    # speak for it), but it is recorded as such rather than left out.
    with_rows = {r["w"] for r in rows if which_slice(r, model.slices) is None}
    for w in span.windows():
        if w in with_rows:
            continue
        for name, spec in model.features.items():
            kinds = ["completeness", "bounds" if spec.type == "numeric" else "allowed_values"]
            for kind in kinds:
                out.append(
                    Result(
                        model_name,
                        f"{kind}:{name}",
                        kind,
                        name,
                        None,
                        w,
                        w + span.step,
                        None,
                        None,
                        "insufficient",
                        0,
                        {"reason": "no rows in the window"},
                    )
                )
    localize(out)
    return out


def _volume_and_freshness(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    settings: Settings,
    span: Span,
    rows: list[dict[str, Any]],
    history: dict[datetime, int],
    model: Model,
) -> list[Result]:
    """Rows per window against the same hour of the trailing days, and the data's lag."""
    checks = settings.config.checks
    overall = {r["w"]: r for r in rows if which_slice(r, model.slices) is None}
    counts = dict(history)
    for w in span.windows():
        counts[w] = int(overall[w]["n"]) if w in overall else 0
    last = fetch_rows(
        con, "checks_last_prediction", {"before": span.start}, table=predictions_table(model_name)
    )[0]["last_ts"]
    out: list[Result] = []
    max_lag = checks.freshness.max_lag
    for w in span.windows():
        end = w + span.step
        if w in overall:
            last = overall[w]["last_ts"]
        lag_hours = (end - last).total_seconds() / 3600 if last is not None else None
        limit = max_lag.total_seconds() / 3600
        status = grade_above(lag_hours, limit, 2 * limit)
        out.append(
            Result(
                model_name,
                "freshness",
                "freshness",
                None,
                None,
                w,
                end,
                lag_hours,
                limit,
                status,
                counts[w],
                {"last_prediction": last.isoformat() if last else None},
            )
        )
        n = counts[w]
        # The same hour of the same weekday a week earlier carries both the daily and
        # the weekly rhythm; without a week of history there is nothing fair to compare.
        week_ago = w - timedelta(days=7)
        if week_ago not in counts:
            out.append(
                Result(
                    model_name,
                    "volume",
                    "volume",
                    None,
                    None,
                    w,
                    end,
                    None,
                    checks.volume.min_ratio,
                    "insufficient",
                    n,
                    {"reason": "no data a week earlier to compare with"},
                )
            )
            continue
        expected = float(counts[week_ago])
        ratio_ = n / expected if expected else (1.0 if n == 0 else INF)
        vol = checks.volume
        if ratio_ < vol.min_ratio:
            status = "critical" if ratio_ < vol.min_ratio / 2 else "warning"
        elif ratio_ > vol.max_ratio:
            status = "critical" if ratio_ > vol.max_ratio * 2 else "warning"
        else:
            status = "pass"
        threshold = vol.min_ratio if ratio_ < 1 else vol.max_ratio
        out.append(
            Result(
                model_name,
                "volume",
                "volume",
                None,
                None,
                w,
                end,
                ratio_,
                threshold,
                status,
                n,
                {"rows": n, "expected": expected},
            )
        )
    return out


DISTINCT_LOOKBACK = 24  # windows a vanished-value test may reach back


def _distinct(
    model_name: str,
    model: Model,
    settings: Settings,
    span: Span,
    counts: dict[tuple[datetime, str], dict[str, int]],
    base: dict[str, Histogram],
    totals: dict[datetime, int],
) -> list[Result]:
    """Baseline values that should have shown up by now and did not.

    A value is tested over the shortest run of windows ending at this one in which at
    least `min_expected` rows of it were due (its baseline share times the rows that
    came), reaching back at most DISTINCT_LOOKBACK windows; it has vanished if none of
    those rows came. Frequent values are judged on the last window alone, rare ones
    on a longer stretch, and a quiet night is not mistaken for a vanished state.
    """
    need = settings.config.checks.distinct.min_expected
    out: list[Result] = []
    for name, spec in model.features.items():
        hist = base.get(name)
        if spec.type != "categorical" or hist is None or not hist.categories:
            continue
        shares = {c: hist.share(c) for c in hist.categories if hist.share(c) > 0}
        for w in span.windows():
            vanished, tested = [], 0
            for value, share in shares.items():
                expected, observed, t = 0.0, 0, w
                for _ in range(DISTINCT_LOOKBACK):
                    expected += totals.get(t, 0) * share
                    observed += counts.get((t, name), {}).get(value, 0)
                    if observed or expected >= need:
                        break
                    t -= span.step
                if expected >= need:
                    tested += 1
                    if observed == 0:
                        vanished.append(value)
            n = totals.get(w, 0)
            seen = counts.get((w, name), {})
            if not tested:
                out.append(
                    Result(
                        model_name,
                        f"distinct:{name}",
                        "distinct",
                        name,
                        None,
                        w,
                        w + span.step,
                        None,
                        0,
                        "insufficient",
                        n,
                        {},
                    )
                )
                continue
            crit = max(3, math.ceil(0.1 * len(hist.categories)))
            status = grade_above(len(vanished), 0, crit - 1)
            out.append(
                Result(
                    model_name,
                    f"distinct:{name}",
                    "distinct",
                    name,
                    None,
                    w,
                    w + span.step,
                    float(len(vanished)),
                    0,
                    status,
                    n,
                    {
                        "vanished": sorted(vanished),
                        "distinct": len(seen),
                        "baseline_distinct": len(hist.categories),
                        "tested": tested,
                    },
                )
            )
    return out


def _schema(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    span: Span,
) -> list[Result]:
    findings = fetch_rows(
        con, "checks_schema_findings", {"model": model_name, "start": span.start, "end": span.end}
    )
    columns = sorted({*model.slices, *model.features, *(str(f["column_name"]) for f in findings)})
    out: list[Result] = []
    for w in span.windows():
        end = w + span.step
        here = [f for f in findings if f["min_ts"] < end and f["max_ts"] >= w]
        for column in columns:
            hits = [f for f in here if f["column_name"] == column]
            status: Status = "warning" if hits else "pass"
            detail = {"findings": [f"{f['finding']}: {f['detail']}" for f in hits]}
            out.append(
                Result(
                    model_name,
                    f"schema:{column}",
                    "schema",
                    column,
                    None,
                    w,
                    end,
                    float(len(hits)),
                    0,
                    status,
                    None,
                    detail,
                )
            )
    return out


# ---------------------------------------------------------------- drift


def _distance(settings: Settings, expected: list[float], actual: list[float]) -> float | None:
    if settings.config.checks.drift.metric == "js":
        return jensen_shannon(expected, actual)
    return psi(expected, actual)


def _drift(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    settings: Settings,
    span: Span,
    base: dict[str, Histogram],
) -> list[Result]:
    drift = settings.config.checks.drift
    table = predictions_table(model_name)
    numeric = [f for f, s in model.features.items() if s.type == "numeric" and f in base]
    categorical = [f for f, s in model.features.items() if s.type == "categorical" and f in base]
    edges = {f: list(base[f].edges or ()) for f in numeric}
    bins = bin_counts(con, table, numeric, edges, span.start, span.end, span.step)
    cats = category_counts(con, table, categorical, span.start, span.end, span.step)
    out: list[Result] = []
    for w in span.windows():
        for name in [*numeric, *categorical]:
            hist = base[name]
            if name in numeric:
                per_bin = bins.get((w, name), {})
                actual = [float(per_bin.get(b, 0)) for b in range(len(hist.counts))]
                expected = [float(c) for c in hist.counts]
            else:
                values = cats.get((w, name), {})
                known = list(hist.categories or ())
                # Values unseen in the baseline share one extra bucket.
                actual = [float(values.get(c, 0)) for c in known]
                actual.append(float(sum(v for k, v in values.items() if k not in known)))
                expected = [*(float(c) for c in hist.counts), 0.0]
            n = int(sum(actual))
            value = _distance(settings, expected, actual) if n >= drift.min_support else None
            status = grade_above(value, drift.warn, drift.crit)
            out.append(
                Result(
                    model_name,
                    f"drift:{name}",
                    "drift",
                    name,
                    None,
                    w,
                    w + span.step,
                    value,
                    drift.warn,
                    status,
                    n,
                    {"metric": drift.metric},
                )
            )
    return out


def _score_drift(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    settings: Settings,
    span: Span,
    base: dict[str, Histogram],
) -> list[Result]:
    drift = settings.config.checks.drift
    if "score" not in base:
        return []
    edges = list(base["score"].edges or ())
    counts = score_bin_counts(
        con, predictions_table(model_name), model.slices, edges, span.start, span.end, span.step
    )
    out: list[Result] = []
    keys = {(col, value) for (_w, col, value) in counts}
    for w in span.windows():
        for col, value in sorted(keys, key=lambda k: (k[0] or "", k[1] or "")):
            name = "score" if col is None else f"score|{col}={value}"
            hist = base.get(name)
            if hist is None:
                continue
            per_bin = counts.get((w, col, value), {})
            actual = [float(per_bin.get(b, 0)) for b in range(len(hist.counts))]
            n = int(sum(actual))
            metric = (
                _distance(settings, [float(c) for c in hist.counts], actual)
                if n >= drift.min_support and hist.total >= drift.min_support
                else None
            )
            status = grade_above(metric, drift.warn, drift.crit)
            slice_ = {col: value} if col is not None and value is not None else None
            out.append(
                Result(
                    model_name,
                    "score_drift",
                    "score_drift",
                    None,
                    slice_,
                    w,
                    w + span.step,
                    metric,
                    drift.warn,
                    status,
                    n,
                    {"metric": drift.metric},
                )
            )
    localize(out)
    return out


# ---------------------------------------------------------------- labels


def _label_delay(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    span: Span,
    now: datetime,
) -> list[Result]:
    policy = model.labels
    rows = fetch_rows(
        con,
        "checks_label_delay",
        {
            "model": model_name,
            "start": span.start,
            "end": span.end,
            "step": span.step_seconds,
            "delay": int(policy.expected_delay.total_seconds()),
            "now": now,
        },
        table=predictions_table(model_name),
    )
    by_w = {r["w"]: r for r in rows}
    out: list[Result] = []
    for w in span.windows():
        r = by_w.get(w)
        n = int(r["n"]) if r else 0
        frac = int(r["on_time"]) / n if r and n else None
        status = grade_below(frac, policy.min_fraction, policy.min_fraction / 2)
        detail = {}
        if r:
            detail = {
                "labeled": int(r["labeled"]),
                "p50_hours": r["p50_hours"],
                "p90_hours": r["p90_hours"],
                "p99_hours": r["p99_hours"],
                "expected_delay_hours": policy.expected_delay.total_seconds() / 3600,
            }
        out.append(
            Result(
                model_name,
                "label_delay",
                "label_delay",
                None,
                None,
                w,
                w + span.step,
                frac,
                policy.min_fraction,
                status,
                n,
                detail,
                known_at=w + span.step + policy.expected_delay,
            )
        )
    return out


@dataclass
class Outcomes:
    """Labelled outcome counts of one window and slice."""

    n: int = 0
    labeled: int = 0
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    abs_err: float = 0.0
    sq_err: float = 0.0
    err: float = 0.0

    def metrics(self, model: Model) -> tuple[dict[str, float | None], dict[str, Any]]:
        """Every metric of the model's task, and intervals for the proportions."""
        if model.task == "regression":
            return regression_metrics(self.labeled, self.abs_err, self.sq_err, self.err), {}
        if model.task == "binary":
            pos = str(model.positive)
            c = Confusion(
                tp=sum(v for (p, y), v in self.pairs.items() if p == pos and y == pos),
                fp=sum(v for (p, y), v in self.pairs.items() if p == pos and y != pos),
                tn=sum(v for (p, y), v in self.pairs.items() if p != pos and y != pos),
                fn=sum(v for (p, y), v in self.pairs.items() if p != pos and y == pos),
            )
            return binary_metrics(c), dict(binary_intervals(c))
        classes = {p for p, _ in self.pairs} | {y for _, y in self.pairs}
        per_class = {
            k: (
                float(sum(v for (p, y), v in self.pairs.items() if p == k and y == k)),
                float(sum(v for (p, y), v in self.pairs.items() if p == k and y != k)),
                float(sum(v for (p, y), v in self.pairs.items() if p != k and y == k)),
            )
            for k in classes
        }
        correct = float(sum(v for (p, y), v in self.pairs.items() if p == y))
        return multiclass_metrics(per_class, correct, float(self.labeled)), {}


def collect_outcomes(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    slice_columns: list[str],
    start: datetime,
    end: datetime,
    step: timedelta,
    now: datetime,
) -> dict[tuple[datetime, str | None, str | None], Outcomes]:
    """Outcome counts per (window, slice column, value); (w, None, None) is overall."""
    rows = fetch_rows(
        con,
        "checks_outcomes",
        {
            "model": model_name,
            "start": start,
            "end": end,
            "step": int(step.total_seconds()),
            "now": now,
        },
        table=predictions_table(model_name),
        slice_keys=slice_keys(slice_columns),
        grouping_sets=grouping_sets(["w", "p.prediction", "l.label"], slice_columns),
    )
    out: dict[tuple[datetime, str | None, str | None], Outcomes] = defaultdict(Outcomes)
    for r in rows:
        where = which_slice(r, slice_columns)
        key = (r["w"], where[0], where[1]) if where else (r["w"], None, None)
        o = out[key]
        o.n += int(r["n"])
        o.labeled += int(r["labeled"])
        if r["label"] is not None:
            pair = (str(r["prediction"]), str(r["label"]))
            o.pairs[pair] = o.pairs.get(pair, 0) + int(r["labeled"])
            o.abs_err += float(r["abs_err"] or 0.0)
            o.sq_err += float(r["sq_err"] or 0.0)
            o.err += float(r["err"] or 0.0)
    return out


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


def _slos(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    span: Span,
    now: datetime,
) -> list[Result]:
    out: list[Result] = []
    by_columns = sorted({s.by for s in model.slos if s.by})
    outcomes = collect_outcomes(con, model_name, by_columns, span.start, span.end, span.step, now)
    for slo in model.slos:
        check = f"slo:{slo.metric}" + (f":by={slo.by}" if slo.by else "")
        keys = sorted({(c, v) for (_w, c, v) in outcomes if c == slo.by}, key=lambda k: k[1] or "")
        threshold = slo.min if slo.min is not None else slo.max
        for w in span.windows():
            for col, value in keys:
                o = outcomes.get((w, col, value), Outcomes())
                slice_ = {col: value} if col is not None and value is not None else None
                if o.labeled < slo.min_labeled:
                    out.append(
                        Result(
                            model_name,
                            check,
                            "slo",
                            None,
                            slice_,
                            w,
                            w + span.step,
                            None,
                            threshold,
                            "insufficient",
                            o.labeled,
                            {
                                "reason": "insufficient labels",
                                "labeled": o.labeled,
                                "min_labeled": slo.min_labeled,
                                "rows": o.n,
                            },
                        )
                    )
                    continue
                metrics, intervals = o.metrics(model)
                metric = metrics.get(slo.metric)
                ci = intervals.get(slo.metric)
                status = _slo_status(slo, metric, ci)
                out.append(
                    Result(
                        model_name,
                        check,
                        "slo",
                        None,
                        slice_,
                        w,
                        w + span.step,
                        metric,
                        threshold,
                        status,
                        o.labeled,
                        {
                            "metric": slo.metric,
                            "ci": ci,
                            "rows": o.n,
                            "coverage": o.labeled / o.n if o.n else None,
                        },
                    )
                )
    return out


def _offline_gap(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    settings: Settings,
    span: Span,
    now: datetime,
) -> list[Result]:
    gap = settings.config.checks.offline_gap
    if not model.offline:
        return []
    outcomes = collect_outcomes(con, model_name, [], span.start, span.end, span.step, now)
    out: list[Result] = []
    for w in span.windows():
        o = outcomes.get((w, None, None), Outcomes())
        metrics, _ = o.metrics(model) if o.labeled >= gap.min_labeled else ({}, {})
        for name, offline in sorted(model.offline.items()):
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
                    w + span.step,
                    relative,
                    gap.warn,
                    status,
                    o.labeled,
                    {"metric": name, "offline": offline, "online": online},
                )
            )
    return out


# ---------------------------------------------------------------- the run


def evaluate_model(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ModelRun:
    """Every due result of one model (nothing is written here)."""
    model = settings.model(model_name)
    step = on_step or (lambda _m: None)
    run = ModelRun(model_name)
    table = predictions_table(model_name)
    bounds = fetch_rows(con, "checks_time_range", table=table)[0]
    if bounds["first_ts"] is None:
        return run
    first_ts: datetime = bounds["first_ts"]
    watermarks = {
        str(r["kind"]): r["evaluated_until"]
        for r in fetch_rows(con, "watermark_get", {"model": model_name})
    }
    spans = plan_spans(settings, model, first_ts, watermarks, now, since, until)
    run.spans = spans
    base_window = baseline_window(model, first_ts)
    base: dict[str, Histogram] = {}
    if any(not spans[k].empty for k in ("drift", "score_drift", "distinct") if k in spans):
        step(f"{model_name}: baseline")
        base = load_baseline(
            con,
            model_name,
            model,
            base_window,
            settings.config.checks.drift.bins,
            model.slices,
            now,
        )
    row_span = spans["completeness"]
    if not row_span.empty:
        step(f"{model_name}: data quality")
        rows = _row_stats(con, model_name, model, row_span)
        run.results += _data_quality(model_name, model, settings, row_span, rows)
        history = _volume_history(con, model_name, row_span)
        run.results += _volume_and_freshness(
            con, model_name, settings, row_span, rows, history, model
        )
        totals = dict(history)
        totals.update({r["w"]: int(r["n"]) for r in rows if which_slice(r, model.slices) is None})
        categorical = [f for f, s in model.features.items() if s.type == "categorical"]
        lookback = row_span.step * DISTINCT_LOOKBACK
        counts = category_counts(
            con, table, categorical, row_span.start - lookback, row_span.end, row_span.step
        )
        run.results += _distinct(model_name, model, settings, row_span, counts, base, totals)
        run.results += _schema(con, model_name, model, row_span)
    if not spans["drift"].empty:
        step(f"{model_name}: drift")
        run.results += _drift(con, model_name, model, settings, spans["drift"], base)
    if "score_drift" in spans and not spans["score_drift"].empty:
        run.results += _score_drift(con, model_name, model, settings, spans["score_drift"], base)
    if not spans["label_delay"].empty:
        step(f"{model_name}: labels")
        run.results += _label_delay(con, model_name, model, spans["label_delay"], now)
    if model.slos and not spans["slo"].empty:
        run.results += _slos(con, model_name, model, spans["slo"], now)
    if not spans["offline_gap"].empty:
        run.results += _offline_gap(con, model_name, model, settings, spans["offline_gap"], now)
    return run


def _volume_history(
    con: duckdb.DuckDBPyConnection, model_name: str, span: Span
) -> dict[datetime, int]:
    """Row counts of the week before a span, from the stored volume results."""
    rows = fetch_rows(
        con,
        "results_volume_history",
        {
            "model": model_name,
            "start": span.start - timedelta(days=7),
            "end": span.start,
        },
    )
    return {r["window_start"]: int(r["n"]) for r in rows}


def store_results(con: duckdb.DuckDBPyConnection, run: ModelRun, now: datetime) -> list[Result]:
    """Write results that are new or changed; return those (repeat runs change nothing)."""
    if not run.results:
        return []
    start = min(r.window_start for r in run.results)
    end = max(r.window_start for r in run.results) + timedelta(seconds=1)
    existing = {
        (str(r["fingerprint"]), r["window_start"]): (r["value"], r["status"], r["detail"])
        for r in fetch_rows(
            con, "results_existing", {"model": run.model, "start": start, "end": end}
        )
    }
    changed: list[Result] = []
    for r in run.results:
        row = r.row(now)
        old = existing.get((row["fingerprint"], r.window_start))
        if old is not None and _same(old, (row["value"], row["status"], row["detail"])):
            continue
        changed.append(r)
    if changed:
        frame = pl.DataFrame([r.row(now) for r in changed], schema=RESULT_SCHEMA, orient="row")
        con.register("new_results", frame)
        try:
            execute(con, "results_put_many")
        finally:
            con.unregister("new_results")
    for kind, span in run.spans.items():
        if not span.empty:
            execute(con, "watermark_set", {"model": run.model, "kind": kind, "until": span.end})
    return changed


RESULT_SCHEMA: dict[str, Any] = {
    "fingerprint": pl.String,
    "model": pl.String,
    "check_name": pl.String,
    "kind": pl.String,
    "feature": pl.String,
    "slice": pl.String,
    "window_start": pl.Datetime("us"),
    "window_end": pl.Datetime("us"),
    "known_at": pl.Datetime("us"),
    "value": pl.Float64,
    "threshold": pl.Float64,
    "status": pl.String,
    "n": pl.Int64,
    "detail": pl.String,
    "evaluated_at": pl.Datetime("us"),
}


def _same(old: tuple[Any, Any, Any], new: tuple[Any, Any, Any]) -> bool:
    (ov, os_, od), (nv, ns, nd) = old, new
    if os_ != ns or od != nd:
        return False
    if ov is None or nv is None:
        return ov is nv
    return math.isclose(float(ov), float(nv), rel_tol=1e-9, abs_tol=1e-12)


@dataclass
class CheckRun:
    """What `oncall check` did: new or changed results and the alert changes."""

    results: list[Result]
    opened: list[int]
    updated: list[int]
    resolved: list[int]
    seconds: float


def run_checks(
    store: Store,
    settings: Settings,
    now: datetime,
    models: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    on_step: Callable[[str], None] | None = None,
) -> CheckRun:
    """Evaluate every due window of the given models (default: all) and update alerts,
    each model in one transaction."""
    from tui.core.alerts import reconcile_alerts

    started = time.perf_counter()
    names = list(models) if models else list(settings.config.models)
    for name in names:
        settings.model(name)
    all_results: list[Result] = []
    opened: list[int] = []
    updated: list[int] = []
    resolved: list[int] = []
    for name in names:
        with store.write() as con:
            run = evaluate_model(con, settings, name, now, since, until, on_step)
            changed = store_results(con, run, now)
            touched = sorted({r.fingerprint for r in changed})
            change = reconcile_alerts(con, settings, name, touched, now)
        all_results += changed
        opened += change.opened
        updated += change.updated
        resolved += change.resolved
    return CheckRun(all_results, opened, updated, resolved, round(time.perf_counter() - started, 3))


def results_json(results: list[Result]) -> list[dict[str, Any]]:
    """Results for `--json`, failing ones first."""
    order = {"critical": 0, "warning": 1, "insufficient": 2, "covered": 3, "pass": 4}
    ranked = sorted(results, key=lambda r: (order[r.status], r.model, r.check, r.window_start))
    return [json.loads(json.dumps(r.to_dict(), default=str)) for r in ranked]


def detection_tolerance(settings: Settings, model: Model, kind: str) -> timedelta:
    """How long after an incident starts its alert can first be seen: one window of the
    kind, plus what the kind must wait for (labels to arrive; enough rows to tell that
    a category vanished rather than was merely rare this hour; for freshness, the lag
    itself)."""
    checks = settings.config.checks
    if kind == "distinct":
        return checks.window * 4
    if kind == "freshness":
        return checks.window + checks.freshness.max_lag
    if kind in ROW_KINDS:
        return checks.window
    if kind in ("drift", "score_drift"):
        return checks.drift.window
    if kind == "label_delay":
        return timedelta(days=1) + model.labels.expected_delay
    if kind == "slo":
        step = min((s.window for s in model.slos), default=timedelta(days=1))
        return step + model.labels.expected_delay
    return checks.offline_gap.window + model.labels.expected_delay
