"""Slices: metrics per slice with honest intervals and coverage, an estimate where
labels are late, the worst slices, and a metric over time.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from datetime import timedelta

import duckdb

from tui.core.config.settings import LOWER_IS_BETTER, METRICS_BY_TASK
from tui.core.config.times import floor_time
from tui.core.errors import UsageError
from tui.core.slices.estimates import EstimateReport
from tui.core.slices.outcomes import Counts, GroupKey, estimate_of, metrics_of, outcome_counts
from tui.core.slices.records import GroupMetrics, SeriesPoint, SliceRow, WorstSlice, WorstSummary
from tui.core.slices.request import Request, check_metric, primary_metric


def slice_metrics(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    by: list[str],
    metric: str | None = None,
    exact_auc: bool = False,
    prefer_rollups: bool = True,
) -> tuple[list[SliceRow], str]:
    """One row per slice of `by` (and the overall row first), each with its metrics,
    intervals, coverage, difference to overall and, for binary models, the estimate;
    and whether the counts came from `rollups` or `raw` rows."""
    metric = metric or primary_metric(req.model)
    check_metric(req.model_name, req.model, metric)
    sets = [[], by] if by else [[]]
    counts, source = outcome_counts(con, req, sets, prefer_rollups, exact_auc)
    counts.setdefault((), Counts())  # the overall row, even when nothing matched
    overall = metrics_of(req.model, counts[()])
    rows = []
    for key, c in counts.items():
        if key and len(key) != len(by):
            continue
        m = metrics_of(req.model, c)
        diffs: dict[str, float | None] = {}
        for name in METRICS_BY_TASK[req.model.task]:
            if name in m.values:
                value, base = m.values[name], overall.value(name)
                diffs[name] = None if value is None or base is None else value - base
        estimated = estimate_of(req.model, c) if req.model.task == "binary" else None
        rows.append(SliceRow(dict(key) if key else None, m, diffs, estimated))
    lower = metric in LOWER_IS_BETTER

    def order(row: SliceRow) -> tuple[int, float, list[tuple[str, str]]]:
        # Ties by the slice itself: the groups come back from the store in no fixed
        # order, and raw rows and rollups must rank the same slices the same way.
        ties = sorted((str(k), str(v)) for k, v in (row.slice or {}).items())
        value = row.value(metric)
        if value is None:
            return (1, 0.0, ties)
        return (0, -value if lower else value, ties)

    ranked = sorted([r for r in rows if r.slice is not None], key=order)
    head = [r for r in rows if r.slice is None]
    return head + ranked, source


# ---------------------------------------------------------------- worst slices


@dataclass
class Candidate:
    """A slice worse than overall, before its parents are compared."""

    key: GroupKey
    value: float
    ci: tuple[float, float] | None
    n: int
    n_labeled: int
    score: float


def worst_slices(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    metric: str | None = None,
    max_depth: int = 2,
    min_support: int = 100,
    prefer_rollups: bool = True,
) -> tuple[list[WorstSlice], WorstSummary, str]:
    """Conjunctions of up to `max_depth` slice predicates that are clearly worse than
    overall, scored by how much worse and how big (a z-like score: the gap to overall
    times the square root of the labelled rows, in the spirit of SliceLine), worst first.

    A slice is dropped when it has fewer than `min_support` labelled rows, when its
    interval overlaps the overall value, or when it is not worse than every one of its
    parents (it adds nothing over them). Also the overall value they are measured
    against, and whether the counts came from `rollups` or `raw` rows."""
    metric = metric or primary_metric(req.model)
    check_metric(req.model_name, req.model, metric)
    if not 1 <= max_depth <= 3:
        raise UsageError(f"a slice combines 1, 2 or 3 columns, not {max_depth}", field="max depth")
    columns = list(req.model.slices)
    if not columns:
        raise UsageError(f"model {req.model_name!r} declares no slice columns")
    sets: list[list[str]] = [[]]
    for depth in range(1, min(max_depth, len(columns)) + 1):
        sets += [list(c) for c in itertools.combinations(columns, depth)]
    # Only the deepest sets are counted by the store; every shallower one (and overall)
    # is the sum of a deeper one's groups (counts add), so the grouped scan does three
    # grouping sets instead of seven for three slice columns.
    deepest = [s for s in sets if not any(set(s) < set(t) for t in sets)]
    fetched, source = outcome_counts(con, req, deepest, prefer_rollups, score_bins=metric == "auc")
    counts = _roll_up(fetched, sets, deepest)
    measured: dict[GroupKey, GroupMetrics] = {}

    def metrics(key: GroupKey) -> GroupMetrics:
        # Each group's metrics once: parents are looked up again for every child.
        if key not in measured:
            measured[key] = metrics_of(req.model, counts.get(key, Counts()))
        return measured[key]

    overall_m = metrics(())
    overall = overall_m.value(metric)
    lower = metric in LOWER_IS_BETTER
    summary = WorstSummary(metric, overall, overall_m.n, overall_m.n_labeled)
    if overall is None:
        return [], summary, source
    found: dict[GroupKey, Candidate] = {}
    for key, c in counts.items():
        if not key or c.labeled < min_support:
            continue
        m = metrics(key)
        value, ci = m.value(metric), m.interval(metric)
        if value is None:
            continue
        gap = (value - overall) if lower else (overall - value)
        if gap <= 0:
            continue
        if ci is not None and ci[0] <= overall <= ci[1]:
            continue
        found[key] = Candidate(key, value, ci, c.n, c.labeled, gap * math.sqrt(c.labeled))
    kept = []
    for cand in found.values():
        parents = [tuple(p for p in cand.key if p != drop) for drop in cand.key]
        parent_values = []
        for parent in parents:
            if not parent:
                continue
            pm = metrics(parent).value(metric) if counts.get(parent) else None
            if pm is not None:
                parent_values.append(pm)
        # A child adds something only if it is worse than every parent beyond its own
        # interval (the point value alone would keep children that differ by noise).
        bound = cand.ci[0] if lower and cand.ci else cand.ci[1] if cand.ci else cand.value
        adds = all((bound > pv) if lower else (bound < pv) for pv in parent_values)
        if adds:
            kept.append(cand)
    kept.sort(key=lambda c: (-c.score, sorted((str(k), str(v)) for k, v in c.key)))
    rows = []
    for cand in kept:
        if lower:
            lift = cand.value / overall if overall else None
        else:
            lift = (1 - cand.value) / (1 - overall) if overall < 1 else None
        rows.append(
            WorstSlice(
                dict(cand.key),
                cand.n,
                cand.n_labeled,
                metric,
                cand.value,
                overall,
                lift,
                cand.ci,
                cand.score,
            )
        )
    return rows, summary, source


def _roll_up(
    fetched: dict[GroupKey, Counts], sets: list[list[str]], deepest: list[list[str]]
) -> dict[GroupKey, Counts]:
    """The groups of every set in `sets`, from the groups of the `deepest` sets (each
    set lies in one of them): a shallower set's group is the sum of the deeper groups
    that agree with it on its columns."""
    out = dict(fetched)
    for wanted in sets:
        if wanted in deepest:
            continue
        source = set(next(d for d in deepest if set(wanted) < set(d)))
        for key, c in fetched.items():
            if {col for col, _ in key} != source:
                continue
            part = tuple((col, v) for col, v in key if col in wanted)
            if part not in out:
                out[part] = Counts()
            _add_counts(out[part], c)
    return out


def _add_counts(into: Counts, c: Counts) -> None:
    """Add one group's counts to another's (exact AUC does not add: it is asked of raw
    rows per group, and worst slices never ask for it)."""
    assert c.exact_auc is None
    into.n += c.n
    into.labeled += c.labeled
    for name in ("pairs", "bins", "bin_scores", "pred_scores", "pred_rows"):
        mine = getattr(into, name)
        for k, v in getattr(c, name).items():
            mine[k] += v
    for name in ("abs_err", "sq_err", "err", "quad_err"):
        setattr(into, name, getattr(into, name) + getattr(c, name))


def metric_series(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    metric: str | None = None,
    estimates: EstimateReport | None = None,
) -> list[SeriesPoint]:
    """Per day of the request: the metric from labels, and its estimate with its band,
    for a plot of the metric over time. The estimate comes from ``estimates`` (a daily
    estimate report of the same request) when given; without one, a binary model's is
    estimated from its raw scores."""
    metric = metric or primary_metric(req.model)
    check_metric(req.model_name, req.model, metric)
    if estimates is not None:
        by_day = {r.window_start: r for r in estimates.rows if r.slice is None}
        points = metric_series(con, req, metric)
        out = []
        for p in points:
            found = by_day.get(max(p.day, req.since))
            if found is None or metric not in found.estimated:
                out.append(replace(p, estimated=None))
                continue
            out.append(
                replace(
                    p,
                    estimated=found.estimated[metric],
                    band=found.band.get(metric),
                    labels_complete=found.labels_complete,
                )
            )
        return out
    out = []
    day = floor_time(req.since, timedelta(days=1))
    while day < req.until:
        part = Request(
            req.model_name,
            req.model,
            max(day, req.since),
            min(day + timedelta(days=1), req.until),
            req.now,
            req.version,
            req.filters,
        )
        counts, _ = outcome_counts(con, part, [[]], score_bins=False)
        c = counts.get((), Counts())
        realised = metrics_of(req.model, c).value(metric)
        estimated = None
        if req.model.task == "binary" and metric in ("accuracy", "precision", "recall", "f1"):
            estimated = estimate_of(req.model, c).get(metric)
        out.append(SeriesPoint(day, c.n, c.labeled, realised, estimated))
        day += timedelta(days=1)
    return out
