"""Evaluating one model: every due window of every kind, from the registry.

Each kind keeps a watermark and evaluates the complete windows after it up to "now";
label-dependent kinds (slo, offline_gap) re-evaluate recent windows while labels are
still arriving. Statistics come from a few grouped queries per model over all due
windows at once (rows, nulls, bounds and allowed values in one scan; categorical and
binned counts in one each), not a query per window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import duckdb

from tui.core.checks.baseline import BaselineData, failing_spans, load_baseline, rolling_period
from tui.core.checks.context import Context, ModelRun
from tui.core.checks.incremental import trim_spans
from tui.core.checks.kinds import REGISTRY, Family
from tui.core.checks.results import Result
from tui.core.checks.spans import Span
from tui.core.config.settings import Model, Settings
from tui.core.config.times import Months, floor_time
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import predictions_table


def plan_spans(
    settings: Settings,
    model: Model,
    first_ts: datetime,
    watermarks: dict[str, datetime],
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Span]:
    """The due windows of every kind that applies to the model, at most
    ``checks.max_windows_per_run`` of each (the earliest; the next run resumes)."""
    limit = settings.config.checks.max_windows_per_run
    return {
        kind.name: kind.due(settings, model, first_ts, watermarks, now, since, until, limit)
        for kind in REGISTRY.values()
        if kind.applies(model)
    }


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
    bounds = fetch_rows(con, "checks_time_range", table=predictions_table(model_name))[0]
    if bounds["first_ts"] is None:
        return run
    first_ts: datetime = bounds["first_ts"]
    watermarks = {
        str(r["kind"]): r["evaluated_until"]
        for r in fetch_rows(con, "watermark_get", {"model": model_name})
    }
    spans = plan_spans(settings, model, first_ts, watermarks, now, since, until)
    if since is None and until is None:
        spans = trim_spans(con, settings, model_name, model, spans, first_ts, watermarks, now, run)
    run.spans = spans
    # Each family once, over the span of its first kind.
    families: dict[Family, Span] = {}
    for name, span in spans.items():
        families.setdefault(REGISTRY[name].family, span)
    due = {family: span for family, span in families.items() if not span.empty}
    ctx = Context(con, settings, model_name, model, now, first_ts, earlier=run.results)
    said = ""
    for family, span in due.items():
        if not family.needs_baseline:
            if family.name != said:
                step(f"{model_name}: {family.name}")
                said = family.name
            run.results += _named(family.evaluate(ctx, span), span)
    # The families that need a baseline, part by part in time order: a rolling baseline
    # leaves out the windows this run found failing before it (not only alerts stored
    # by earlier runs), and distinct's held values pass from one part to the next.
    parts = [
        (part.start, i, family, part)
        for i, (family, span) in enumerate(due.items())
        if family.needs_baseline
        for part in baseline_parts(model, span)
    ]
    for _start, _i, family, part in sorted(parts, key=lambda p: (p[0], p[1])):
        if family.name != said:
            step(f"{model_name}: {family.name}")
            said = family.name
        ctx.baseline = _baseline(ctx, run, part.start, step).histograms
        run.results += _named(family.evaluate(ctx, part), part)
    return run


def _named(results: list[Result], span: Span) -> list[Result]:
    """Results of a span of months name their month (``detail.period``: 2026-11)."""
    if isinstance(span.step, Months):
        for r in results:
            if r.window_end == span.end_of(r.window_start):
                r.detail.update(span.label(r.window_start))
    return results


def baseline_parts(model: Model, span: Span) -> list[Span]:
    """The span cut where its windows' baseline changes: a rolling (``last:``) baseline
    moves on once a period (a day), any other kind is one baseline for the whole span."""
    period = rolling_period(model)
    if period is None or span.empty:
        return [span]
    parts: list[Span] = []
    for w in span.windows():
        if parts and floor_time(w, period) == floor_time(parts[-1].start, period):
            parts[-1] = replace(parts[-1], end=span.end_of(w))
        else:
            parts.append(Span(w, span.end_of(w), span.step))
    return parts


def _baseline(
    ctx: Context, run: ModelRun, at: datetime, step: Callable[[str], None]
) -> BaselineData:
    period = rolling_period(ctx.model)
    moment = floor_time(at, period) if period is not None else None

    def load() -> BaselineData:
        step(f"{ctx.model_name}: baseline")
        return load_baseline(
            ctx.con,
            ctx.settings,
            ctx.model_name,
            ctx.model,
            ctx.first_ts,
            ctx.now,
            moment,
            fired=failing_spans(run.results),
            defer=run.cache_writes,
        )

    found = ctx.memo(("baseline", moment), load)
    problem = found.source.problem
    if problem is not None and problem not in run.problems:
        run.problems.append(problem)
    return found
