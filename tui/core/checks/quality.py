"""Data-quality checks: completeness, bounds, allowed values, volume, freshness,
vanished values and schema findings, from one grouped scan of the due windows.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.checks.context import Context
from tui.core.checks.counts import category_counts
from tui.core.checks.results import (
    Result,
    Status,
    fingerprint,
    grade_above,
    grade_rate,
    localize,
    rate_lower_bound,
)
from tui.core.checks.spans import Span, advance
from tui.core.config.settings import Model
from tui.core.config.times import Months
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import (
    grouping_sets,
    ident,
    predictions_table,
    raw,
    slice_keys,
    which_slice,
)

INF = float("inf")


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
    rows = fetch_rows(
        con,
        "checks_row_stats",
        {
            "start": span.start,
            "end": span.end,
            "step": span.bucket_seconds,
            "lo": lo,
            "hi": hi,
            "allowed": allowed,
        },
        table=predictions_table(model_name),
        slice_keys=slice_keys(model.slices),
        grouping_sets=grouping_sets(["w"], model.slices),
        stats=raw(", ".join(stats) if stats else "0 AS no_features"),
    )
    return rows if span.bucket == span.step else _into_windows(rows, span, model.slices)


def _into_windows(
    rows: list[dict[str, Any]], span: Span, slices: list[str]
) -> list[dict[str, Any]]:
    """Day rows of `checks_row_stats` summed into the span's windows of months: counts
    added, the last prediction the latest, an example the least (as `min` picks)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        w = span.window_of(row["w"])
        key = (w, *(v for k, v in row.items() if k.startswith("g__") or k in slices))
        into = out.get(key)
        if into is None:
            out[key] = {**row, "w": w}
            continue
        for name, value in row.items():
            if name == "n" or name.startswith(("nulls__", "bad__")):
                into[name] += value
            elif name == "last_ts" or name.startswith("example__"):
                pick = max if name == "last_ts" else min
                have = into[name]
                into[name] = value if have is None else have if value is None else pick(have, value)
    return list(out.values())


DISTINCT_LOOKBACK = 24  # windows a vanished-value test may reach back


def _volume_history(
    con: duckdb.DuckDBPyConnection, model_name: str, span: Span
) -> dict[datetime, int]:
    """Row counts of the week (or the window of months) before a span, from the stored
    volume results."""
    rows = fetch_rows(
        con,
        "results_volume_history",
        {
            "model": model_name,
            "start": min(span.start - timedelta(days=7), advance(span.start, -1, span.step)),
            "end": span.start,
        },
    )
    return {r["window_start"]: int(r["n"]) for r in rows}


# ---------------------------------------------------------------- evaluators


def _rows(ctx: Context, span: Span) -> list[dict[str, Any]]:
    # One scan of the span serves every data-quality evaluator.
    return ctx.memo(
        ("row_stats", span), lambda: _row_stats(ctx.con, ctx.model_name, ctx.model, span)
    )


def _history(ctx: Context, span: Span) -> dict[datetime, int]:
    return ctx.memo(
        ("volume_history", span), lambda: _volume_history(ctx.con, ctx.model_name, span)
    )


def evaluate_rows(ctx: Context, span: Span) -> list[Result]:
    """Completeness, bounds and allowed values per window and slice."""
    model_name = ctx.model_name
    model = ctx.model
    rows = _rows(ctx, span)
    checks = model.checks
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
                    span.end_of(w),
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
                    span.end_of(w),
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
                        span.end_of(w),
                        None,
                        None,
                        "insufficient",
                        0,
                        {"reason": "no rows in the window"},
                    )
                )
    localize(out)
    return out


def evaluate_volume(ctx: Context, span: Span) -> list[Result]:
    """Volume against a week earlier, and freshness.

    Rows per window against the same hour of the trailing days, and the data's lag."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    rows = _rows(ctx, span)
    history = _history(ctx, span)
    checks = model.checks
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
        end = span.end_of(w)
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
        # A window of months is compared with the one before, per day (months differ).
        months = isinstance(span.step, Months)
        week_ago = advance(w, -1, span.step) if months else w - timedelta(days=7)
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
                    {
                        "reason": "no data the window before to compare with"
                        if months
                        else "no data a week earlier to compare with"
                    },
                )
            )
            continue
        expected = float(counts[week_ago])
        if months:
            expected *= (end - w) / (w - week_ago)
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


def _unrecovered(ctx: Context, span: Span, names: list[str]) -> dict[str, set[str]]:
    """Per feature, the values the last stored distinct result before the span still
    counted vanished: the state one run hands the next."""
    if not names:
        return {}
    fingerprints = {
        fingerprint(ctx.model_name, f"distinct:{n}", "distinct", n, None): n for n in names
    }
    rows = fetch_rows(
        ctx.con,
        "results_last_before",
        {"model": ctx.model_name, "fingerprints": list(fingerprints), "before": span.start},
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        detail = json.loads(r["detail"] or "{}")
        # Results stored before the hysteresis carry only the values judged vanished.
        values = detail.get("unrecovered", detail.get("vanished", []))
        out[fingerprints[str(r["fingerprint"])]] = {str(v) for v in values}
    # This run's own results before the span (an earlier part of it) are newer.
    latest: dict[str, Result] = {}
    for result in ctx.earlier:
        name = fingerprints.get(result.fingerprint) if result.kind == "distinct" else None
        if name is None or result.window_start >= span.start:
            continue
        if name not in latest or result.window_start > latest[name].window_start:
            latest[name] = result
    for name, result in latest.items():
        out[name] = {str(v) for v in result.detail.get("unrecovered", [])}
    return out


def evaluate_distinct(ctx: Context, span: Span) -> list[Result]:
    """Baseline values that should have shown up by now and did not.

    A value is tested over the shortest run of windows ending at this one in which at
    least `min_expected` rows of it were due (its baseline share times the rows that
    came), reaching back at most DISTINCT_LOOKBACK windows; it has vanished if none of
    those rows came. Frequent values are judged on the last window alone, rare ones
    on a longer stretch, and a quiet night is not mistaken for a vanished state.

    Once vanished, a value stays vanished until, over such a run, at least
    `recover_share` of its expected rows came: a share fallen to near zero with a stray
    row now and then is one incident. A window where a vanished value cannot be told
    (too few rows expected) is insufficient, neither failing nor passing; the state
    carries on to the next window and, through the stored result, to the next run.
    """
    model = ctx.model
    rows = _rows(ctx, span)
    totals = dict(_history(ctx, span))
    totals.update({r["w"]: int(r["n"]) for r in rows if which_slice(r, model.slices) is None})
    categorical = [f for f, s in model.features.items() if s.type == "categorical"]
    counts = category_counts(
        ctx.con,
        ctx.table,
        categorical,
        advance(span.start, -DISTINCT_LOOKBACK, span.step),
        span.end,
        span.bucket,
    )
    if span.bucket != span.step:  # days summed into windows of months
        by_window: dict[tuple[datetime, str], dict[str, int]] = {}
        for (t, name), seen in counts.items():
            into = by_window.setdefault((span.window_of(t), name), {})
            for value, n in seen.items():
                into[value] = into.get(value, 0) + n
        counts = by_window
    model_name, base = ctx.model_name, ctx.baseline
    need = model.checks.distinct.min_expected
    recover = model.checks.distinct.recover_share
    judged = [
        name for name in categorical if (hist := base.get(name)) is not None and hist.categories
    ]
    carried = _unrecovered(ctx, span, judged)
    back = span.step if isinstance(span.step, timedelta) else None  # months: advance
    out: list[Result] = []
    for name in judged:
        hist = base[name]
        assert hist.categories is not None
        shares = {c: hist.share(c) for c in hist.categories if hist.share(c) > 0}
        held = carried.get(name, set()) & set(shares)
        for w in span.windows():
            vanished, unsure, tested = [], [], 0
            for value, share in shares.items():
                was = value in held
                expected, observed, t = 0.0, 0, w
                for _ in range(DISTINCT_LOOKBACK):
                    expected += totals.get(t, 0) * share
                    observed += counts.get((t, name), {}).get(value, 0)
                    # A stray row tells a value is there, not that it is back.
                    if expected >= need or (observed and not was):
                        break
                    t = t - back if back is not None else advance(t, -1, span.step)
                if expected < need:
                    if was:
                        unsure.append(value)
                    continue
                tested += 1
                if was and observed >= recover * expected:
                    held.discard(value)
                elif was or observed == 0:
                    vanished.append(value)
                    held.add(value)
            n = totals.get(w, 0)
            seen = counts.get((w, name), {})
            detail: dict[str, Any] = {"unrecovered": sorted(held)}
            if not vanished and (unsure or not tested):
                # Nothing failed, but not everything could be told: neither pass nor fail.
                if tested:
                    detail["tested"] = tested
                out.append(
                    Result(
                        model_name,
                        f"distinct:{name}",
                        "distinct",
                        name,
                        None,
                        w,
                        span.end_of(w),
                        None,
                        0,
                        "insufficient",
                        n,
                        detail,
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
                    span.end_of(w),
                    float(len(vanished)),
                    0,
                    status,
                    n,
                    {
                        **detail,
                        "vanished": sorted(vanished),
                        "distinct": len(seen),
                        "baseline_distinct": len(hist.categories),
                        "tested": tested,
                    },
                )
            )
    return out


def evaluate_schema(ctx: Context, span: Span) -> list[Result]:
    """Missing declared columns and undeclared extra ones, per window."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    findings = fetch_rows(
        con, "checks_schema_findings", {"model": model_name, "start": span.start, "end": span.end}
    )
    columns = sorted({*model.slices, *model.features, *(str(f["column_name"]) for f in findings)})
    out: list[Result] = []
    for w in span.windows():
        end = span.end_of(w)
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
