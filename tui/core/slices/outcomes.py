"""Outcome counts: the one shape every metric rests on, shared by slices and checks.

Counts per group (prediction × label × score bin, with error sums): the whole days of
a window from the daily rollups, its ragged edges (and anything rollups cannot answer)
from raw rows — both give the same counts, so they add — and every metric of a task
computed from them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.config.settings import Model
from tui.core.config.times import floor_time
from tui.core.ingest.rollups import SCORE_BINS, check_rollup_runs, dirty_days, rollups_table
from tui.core.slices.metrics import (
    Z95,
    Confusion,
    LabelSums,
    auc_interval,
    binary_intervals,
    binary_metrics,
    f1_from,
    f1_interval,
    mean_interval,
    multiclass_metrics,
    ratio,
    regression_metrics,
    wilson,
)
from tui.core.slices.records import GroupMetrics
from tui.core.slices.request import Request, check_columns, groupable
from tui.core.store.connection import fetch_rows
from tui.core.store.filters import filter_sql, only_on, require_stored
from tui.core.store.sqlparts import (
    Fragment,
    grouping_sets,
    ident,
    predictions_table,
    raw,
    slice_keys,
    slice_value,
    which_slice,
)

GroupKey = tuple[tuple[str, str], ...]  # (column, value) pairs; () is overall
BOOTSTRAP = 400


@dataclass
class Counts:
    """Outcome counts of one group."""

    n: int = 0
    labeled: int = 0
    pairs: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Score bins: (bin, label or None) -> rows and the sum of their scores.
    bins: dict[tuple[int, str | None], int] = field(default_factory=lambda: defaultdict(int))
    bin_scores: dict[tuple[int, str | None], float] = field(
        default_factory=lambda: defaultdict(float)
    )
    # Sum of scores and rows per (prediction, labelled?) for the estimate.
    pred_scores: dict[tuple[str, bool], float] = field(default_factory=lambda: defaultdict(float))
    pred_rows: dict[tuple[str, bool], int] = field(default_factory=lambda: defaultdict(int))
    abs_err: float = 0.0
    sq_err: float = 0.0
    err: float = 0.0
    quad_err: float = 0.0
    exact_auc: float | None = None
    # Label sums for MAPE and R² (regression; filled by the check path).
    label_sums: LabelSums = field(default_factory=LabelSums)

    def add(self, row: dict[str, Any]) -> None:
        n = int(row["n"])
        label = row["label"]
        pred = row["prediction"]
        self.n += n
        if label is not None:
            self.labeled += n
            if pred is not None:
                self.pairs[(str(pred), str(label))] += n
        if row["score_bin"] is not None:
            key = (int(row["score_bin"]), None if label is None else str(label))
            self.bins[key] += n
            self.bin_scores[key] += float(row["sum_score"] or 0.0)
        if pred is not None and row["sum_score"] is not None:
            self.pred_scores[(str(pred), label is not None)] += float(row["sum_score"])
            self.pred_rows[(str(pred), label is not None)] += n
        for name in ("abs_err", "sq_err", "err", "quad_err"):
            if row[name] is not None:
                setattr(self, name, getattr(self, name) + float(row[name]))


def whole_days(since: datetime, until: datetime) -> tuple[datetime, datetime] | None:
    """The whole days inside [since, until), as [first midnight, last midnight); None
    when the window holds no whole day."""
    day = timedelta(days=1)
    first = floor_time(since, day)
    if first < since:
        first += day
    last = floor_time(until, day)
    return (first, last) if first < last else None


def edges(
    since: datetime, until: datetime, days: tuple[datetime, datetime] | None
) -> list[tuple[datetime, datetime]]:
    """The parts of [since, until) outside the whole days `days`: the ragged edges that
    raw rows answer (the whole window without days)."""
    if days is None:
        return [(since, until)] if since < until else []
    return [(a, b) for a, b in ((since, days[0]), (days[1], until)) if a < b]


def rollup_days(
    con: duckdb.DuckDBPyConnection, req: Request, columns: list[str]
) -> tuple[datetime, datetime] | None:
    """The whole days of the request the rollups answer exactly, or None: they must
    filter and group only on columns the rollups keep, and no day of the window may be
    waiting for a rebuild; they answer the leading whole days whose labels were all
    known by `now`. The rest of the window is read from raw rows."""
    days = whole_days(req.since, req.until)
    if days is None:
        return None
    if not only_on(req.filters, groupable(req.model)):
        return None
    if not set(columns) <= set(groupable(req.model)):
        return None
    kept = {
        str(r["column_name"])
        for r in fetch_rows(con, "store_columns", {"table_name": f"rollups__{req.model_name}"})
    }
    # Rollups built before the config's slices changed (not rebuilt yet) lack a column.
    if not kept or not {*columns, *(f.column for f in req.filters)} <= kept:
        return None
    days = known_days(con, req, days)
    if days is None:
        return None
    pending = dirty_days(con, req.model_name)
    if any(days[0] <= d < days[1] for d in pending):  # type: ignore[operator]
        return None
    return days


def known_days(
    con: duckdb.DuckDBPyConnection, req: Request, days: tuple[datetime, datetime]
) -> tuple[datetime, datetime] | None:
    """The leading whole days of `days` whose every label was known by `now` (rollups
    hold every stored label, so they answer only those days; later days are read raw),
    or None."""
    late = fetch_rows(
        con,
        "labels_known_days",
        {"model": req.model_name, "since": days[0], "until": days[1], "now": req.now},
    )[0]["first_late"]
    end = days[1] if late is None else floor_time(late, timedelta(days=1))
    return (days[0], end) if days[0] < end else None


def _group_parts(sets: list[list[str]], outcome: list[str]) -> tuple[Fragment, Fragment, list[str]]:
    columns = sorted({c for s in sets for c in s})
    select = "".join(
        f"p.{ident(c)}, grouping(p.{ident(c)}) AS {ident('g__' + c)}, " for c in columns
    )
    grouping = ", ".join(
        "(" + ", ".join([*(f"p.{ident(c)}" for c in s), *outcome]) + ")" for s in sets
    )
    return raw(select), raw(grouping), columns


RAW_OUTCOME = ["o_prediction", "o_label", "o_bin"]
ROLLUP_OUTCOME = ["p.prediction", "p.label", "p.score_bin"]


def _key(row: dict[str, Any], columns: list[str]) -> GroupKey:
    out = []
    for c in columns:
        if row.get(f"g__{c}") == 0:
            out.append((c, slice_value(row.get(c))))
    return tuple(out)


def outcome_counts(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    sets: list[list[str]],
    prefer_rollups: bool = True,
    exact_auc: bool = False,
    score_bins: bool = True,
) -> tuple[dict[GroupKey, Counts], str]:
    """Outcome counts per group for each grouping set (`[]` is overall); and whether they
    came from `rollups`, `raw` rows, or both (`rollups+raw`: whole days from rollups,
    the window's ragged edges from raw rows). Without `score_bins` (no AUC, estimate or
    reliability wanted) the counts are not split by score bin, which is much cheaper."""
    columns = sorted({c for s in sets for c in s})
    check_columns(req, columns)
    require_stored(con, req.model_name, [*columns, *(f.column for f in req.filters)], field="by")
    filters, values = filter_sql(req.filters, req.model)
    # Whole days from the rollups, the ragged edges from raw rows; counts add. Exact AUC
    # needs every distinct score, which rollups do not keep: it reads raw rows only.
    days = rollup_days(con, req, columns) if prefer_rollups and not exact_auc else None
    parts = edges(req.since, req.until, days)
    params = {"version": req.version, "values": values}
    rows = []
    if days is not None:
        outcome = ROLLUP_OUTCOME if score_bins else ROLLUP_OUTCOME[:2]
        select, grouping, _ = _group_parts(sets, outcome)
        rows += fetch_rows(
            con,
            "slices_outcomes_rollup",
            {**params, "since": days[0], "until": days[1]},
            rollups=rollups_table(req.model_name),
            group_select=select,
            grouping_sets=grouping,
            filters=filters,
            bin_select=raw(outcome[2] if score_bins else "NULL::INTEGER"),
        )
    outcome = RAW_OUTCOME if score_bins else RAW_OUTCOME[:2]
    select, grouping, _ = _group_parts(sets, outcome)
    for since, until in parts:
        rows += fetch_rows(
            con,
            "slices_outcomes_raw",
            {
                **params,
                "since": since,
                "until": until,
                "model": req.model_name,
                "now": req.now,
                "regression": req.model.task == "regression",
            },
            table=predictions_table(req.model_name),
            group_select=select,
            grouping_sets=grouping,
            filters=filters,
            bin_select=raw(outcome[2] if score_bins else "NULL::INTEGER"),
        )
    out: dict[GroupKey, Counts] = defaultdict(Counts)
    for row in rows:
        out[_key(row, columns)].add(row)
    if exact_auc and req.model.task == "binary":
        _exact_auc(con, req, sets, out)
    source = "raw" if days is None else "rollups+raw" if parts else "rollups"
    return dict(out), source


def _exact_auc(
    con: duckdb.DuckDBPyConnection, req: Request, sets: list[list[str]], out: dict[GroupKey, Counts]
) -> None:
    columns = sorted({c for s in sets for c in s})
    select = raw(
        "".join(f"p.{ident(c)}, grouping(p.{ident(c)}) AS {ident('g__' + c)}, " for c in columns)
    )
    grouping = raw(
        ", ".join("(" + ", ".join([*(f"p.{ident(c)}" for c in s), "p.score"]) + ")" for s in sets)
    )
    filters, values = filter_sql(req.filters, req.model)
    rows = fetch_rows(
        con,
        "slices_exact_auc",
        {
            "model": req.model_name,
            "positive": req.model.positive,
            "since": req.since,
            "until": req.until,
            "now": req.now,
            "version": req.version,
            "values": values,
        },
        table=predictions_table(req.model_name),
        group_select=select,
        grouping_sets=grouping,
        filters=filters,
    )
    per_group: dict[GroupKey, list[tuple[float, int, int]]] = defaultdict(list)
    for r in rows:
        per_group[_key(r, columns)].append((float(r["score"]), int(r["pos"]), int(r["neg"])))
    for key, points in per_group.items():
        points.sort()
        out.setdefault(key, Counts()).exact_auc = auc_from_histogram(
            [p for _, p, _ in points], [q for _, _, q in points]
        )


def auc_from_histogram(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """AUC from positives and negatives per ordered score bucket; ties count one half.

    With one bucket per distinct score this is the exact (Mann–Whitney) AUC; with score
    bins it is the binned AUC.
    """
    total_pos, total_neg = sum(pos), sum(neg)
    if total_pos == 0 or total_neg == 0:
        return None
    above = 0.0
    seen_neg = 0.0
    for p, q in zip(pos, neg, strict=True):
        above += p * (seen_neg + 0.5 * q)
        seen_neg += q
    return above / (total_pos * total_neg)


def _auc_ci(auc: float | None, n_pos: int, n_neg: int) -> tuple[float, float] | None:
    """Hanley–McNeil normal interval for an AUC."""
    return auc_interval(auc, n_pos, n_neg)


def _bootstrap(
    cells: list[int], stat: Any, seed: int = 7, vector: Any = None
) -> tuple[float, float] | None:
    """A percentile interval by resampling the cell counts multinomially (seeded, so the
    same counts always give the same interval). `vector`, when given, computes the same
    statistic over all draws at once (NaN where `stat` gives None): worst slices score
    dozens of groups, and a Python call per draw dominated their time."""
    import numpy as np  # here, not at the top: numpy is slow to import, and rarely needed

    total = sum(cells)
    if total == 0:
        return None
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, np.asarray(cells, dtype=float) / total, size=BOOTSTRAP)
    if vector is not None:
        found = vector(draws)
        values = found[~np.isnan(found)]
    else:
        values = [v for v in (stat(list(d)) for d in draws) if v is not None]
    if len(values) < BOOTSTRAP // 2:
        return None
    return (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))


def _f1_draws(draws: Any) -> Any:
    """F1 of each draw of (tp, fp, tn, fn) as `f1_from` computes it; NaN where undefined."""
    import numpy as np

    two_tp = 2 * draws[:, 0]
    denominator = two_tp + draws[:, 1] + draws[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, two_tp / denominator, np.nan)


def confusion_of(model: Model, c: Counts) -> Confusion:
    """The binary confusion matrix of a group."""
    pos = str(model.positive)
    cells = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for (p, y), n in c.pairs.items():
        key = ("t" if (p == pos) == (y == pos) else "f") + ("p" if p == pos else "n")
        cells[key] += n
    return Confusion(**cells)


def _binned_auc(model: Model, c: Counts) -> tuple[float | None, int, int]:
    pos = str(model.positive)
    p = [sum(n for (b, y), n in c.bins.items() if b == k and y == pos) for k in range(SCORE_BINS)]
    q = [
        sum(n for (b, y), n in c.bins.items() if b == k and y is not None and y != pos)
        for k in range(SCORE_BINS)
    ]
    return auc_from_histogram(p, q), sum(p), sum(q)


def metrics_of(model: Model, c: Counts) -> GroupMetrics:
    """Every metric of the model's task for one group, each with its 95% interval:
    Wilson for proportions, Hanley–McNeil for AUC, a seeded bootstrap for F1 and
    macro-F1, a normal interval for MAE, RMSE and bias."""
    values: dict[str, float | None] = {}
    intervals: dict[str, tuple[float, float] | None] = {}
    if model.task == "binary":
        conf = confusion_of(model, c)
        values.update(binary_metrics(conf))
        intervals.update(binary_intervals(conf))
        intervals["f1"] = _bootstrap(
            [int(conf.tp), int(conf.fp), int(conf.tn), int(conf.fn)],
            lambda d: f1_from(d[0], d[1], d[3]),
            vector=_f1_draws,
        )
        if c.exact_auc is not None or c.bins:
            auc, n_pos, n_neg = _binned_auc(model, c)
            if c.exact_auc is not None:
                auc = c.exact_auc
            values["auc"] = auc
            intervals["auc"] = _auc_ci(auc, n_pos, n_neg)
    elif model.task == "multiclass":
        keys = sorted(c.pairs)
        cells = [c.pairs[k] for k in keys]

        def macro(d: list[int]) -> float | None:
            pairs = dict(zip(keys, d, strict=True))
            return _multiclass(pairs)["macro_f1"]

        found = _multiclass(dict(c.pairs))
        values.update(found)
        intervals["accuracy"] = wilson(sum(n for (p, y), n in c.pairs.items() if p == y), c.labeled)
        intervals["macro_f1"] = _bootstrap(cells, macro)
        for name in found:
            if name.startswith("recall_"):
                cls = name.removeprefix("recall_")
                tp = c.pairs.get((cls, cls), 0)
                support = sum(n for (_p, y), n in c.pairs.items() if y == cls)
                intervals[name] = wilson(tp, support)
    else:
        values.update(regression_metrics(c.labeled, c.abs_err, c.sq_err, c.err))
        n = c.labeled
        if n >= 2:
            mae, bias, mse = c.abs_err / n, c.err / n, c.sq_err / n
            se_abs = math.sqrt(max(mse - mae * mae, 0.0) / n)
            se_err = math.sqrt(max(mse - bias * bias, 0.0) / n)
            se_mse = math.sqrt(max(c.quad_err / n - mse * mse, 0.0) / n)
            intervals["mae"] = (mae - Z95 * se_abs, mae + Z95 * se_abs)
            intervals["bias"] = (bias - Z95 * se_err, bias + Z95 * se_err)
            lo, hi = max(mse - Z95 * se_mse, 0.0), mse + Z95 * se_mse
            intervals["rmse"] = (math.sqrt(lo), math.sqrt(hi))
        else:
            intervals.update(mae=None, bias=None, rmse=None)
    return GroupMetrics(c.n, c.labeled, ratio(c.labeled, c.n), values, intervals)


def _multiclass(
    pairs: dict[tuple[str, str], int], total: float | None = None
) -> dict[str, float | None]:
    classes = {p for p, _ in pairs} | {y for _, y in pairs}
    per_class = {
        k: (
            float(pairs.get((k, k), 0)),
            float(sum(n for (p, y), n in pairs.items() if p == k and y != k)),
            float(sum(n for (p, y), n in pairs.items() if p != k and y == k)),
        )
        for k in classes
    }
    correct = float(sum(n for (p, y), n in pairs.items() if p == y))
    labeled = float(sum(pairs.values())) if total is None else total
    return multiclass_metrics(per_class, correct, labeled)


def estimate_of(model: Model, c: Counts, labeled_only: bool = False) -> dict[str, float | None]:
    """A confidence-based estimate of the binary confusion matrix from the scores: each
    prediction adds its score to the expected positives of its predicted class and one
    minus it to the negatives. Over all rows, or only the labelled ones (to compare with
    what the labels say)."""
    pos = str(model.positive)
    flags = (True,) if labeled_only else (True, False)
    s_pp = sum(v for (p, f), v in c.pred_scores.items() if p == pos and f in flags)
    n_pp = sum(v for (p, f), v in c.pred_rows.items() if p == pos and f in flags)
    s_pn = sum(v for (p, f), v in c.pred_scores.items() if p != pos and f in flags)
    n_pn = sum(v for (p, f), v in c.pred_rows.items() if p != pos and f in flags)
    conf = Confusion(tp=s_pp, fp=n_pp - s_pp, tn=n_pn - s_pn, fn=s_pn)
    found = binary_metrics(conf)
    return {k: found[k] for k in ("accuracy", "precision", "recall", "f1")}


def reliability(model: Model, c: Counts) -> list[dict[str, Any]]:
    """Per score bin of the labelled rows: mean score against the observed positive rate."""
    pos = str(model.positive)
    out = []
    for k in range(SCORE_BINS):
        labeled = [(y, n) for (b, y), n in c.bins.items() if b == k and y is not None]
        n = sum(v for _, v in labeled)
        if not n:
            continue
        score_sum = sum(v for (b, y), v in c.bin_scores.items() if b == k and y is not None)
        positives = sum(v for y, v in labeled if y == pos)
        out.append(
            {
                "bin": f"{k / SCORE_BINS:.2f}-{(k + 1) / SCORE_BINS:.2f}",
                "n": n,
                "mean_score": score_sum / n,
                "positive_rate": positives / n,
                "positive_rate_ci": wilson(positives, n),
            }
        )
    return out


def task_metrics(
    model: Model, c: Counts
) -> tuple[dict[str, float | None], dict[str, tuple[float, float] | None]]:
    """Every metric of the model's task for one group, with the closed-form intervals
    only: the cheap form that checks compute for every window and slice (no bootstrap;
    `metrics_of` is the full one). Wilson for the binary proportions, Wilson-on-J for
    F1, Hanley–McNeil for AUC (present when `exact_auc` was filled in), normal
    intervals for MAE, bias, RMSE and MAPE, Wilson for multiclass accuracy."""
    if model.task == "regression":
        values = regression_metrics(c.labeled, c.abs_err, c.sq_err, c.err, c.label_sums)
        return values, _regression_intervals(c)
    if model.task == "binary":
        conf = confusion_of(model, c)
        values = binary_metrics(conf)
        intervals = dict(binary_intervals(conf))
        intervals["f1"] = f1_interval(conf.tp, conf.fp, conf.fn)
        if c.exact_auc is not None:
            values["auc"] = c.exact_auc
            intervals["auc"] = auc_interval(c.exact_auc, conf.tp + conf.fn, conf.tn + conf.fp)
        return values, intervals
    correct = sum(n for (p, y), n in c.pairs.items() if p == y)
    return _multiclass(dict(c.pairs), float(c.labeled)), {"accuracy": wilson(correct, c.labeled)}


def _regression_intervals(c: Counts) -> dict[str, tuple[float, float] | None]:
    n = c.labeled
    out: dict[str, tuple[float, float] | None] = {}
    if n >= 2:
        mae, bias, mse = c.abs_err / n, c.err / n, c.sq_err / n
        out["mae"] = mean_interval(n, mae, mse)  # |e|² = e²
        out["bias"] = mean_interval(n, bias, mse)
        se_mse = math.sqrt(max(c.quad_err / n - mse * mse, 0.0) / n)
        lo, hi = max(mse - Z95 * se_mse, 0.0), mse + Z95 * se_mse
        out["rmse"] = (math.sqrt(lo), math.sqrt(hi))
    sums = c.label_sums
    if sums.ape_n >= 2:
        mape = sums.ape_sum / sums.ape_n
        out["mape"] = mean_interval(sums.ape_n, mape, sums.ape_sq_sum / sums.ape_n)
    return out


WindowKey = tuple[datetime, str | None, str | None]  # (window, slice column, value)


def window_outcomes(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    slice_columns: list[str],
    start: datetime,
    end: datetime,
    step: timedelta,
    now: datetime,
    window_of: Callable[[datetime], datetime] | None = None,
    spec: Model | None = None,
) -> dict[WindowKey, Counts]:
    """Labelled outcome counts per (window, slice column, value), labels known by `now`;
    (w, None, None) is the whole model. ``window_of`` sums buckets of ``step`` into
    longer windows (days into calendar months). Given the model's ``spec`` (a classifier), daily
    buckets are summed from the rollups where they answer exactly (see
    ``check_rollup_runs``) and read from raw rows elsewhere: the same counts."""
    rows: list[dict[str, Any]] = []
    runs = check_rollup_runs(con, model_name, spec, slice_columns, start, end, step, now)
    for lo, hi, rolled in runs:
        if rolled:
            rows += fetch_rows(
                con,
                "checks_outcomes_rollup",
                {"start": lo, "end": hi},
                rollups=rollups_table(model_name),
                slice_keys=slice_keys(slice_columns),
                grouping_sets=grouping_sets(["w", "prediction", "label"], slice_columns),
            )
            continue
        rows += fetch_rows(
            con,
            "checks_outcomes",
            {
                "model": model_name,
                "start": lo,
                "end": hi,
                "step": int(step.total_seconds()),
                "now": now,
            },
            table=predictions_table(model_name),
            slice_keys=slice_keys(slice_columns),
            grouping_sets=grouping_sets(["w", "p.prediction", "l.label"], slice_columns),
        )
    out: dict[WindowKey, Counts] = defaultdict(Counts)
    for r in rows:
        where = which_slice(r, slice_columns)
        w = window_of(r["w"]) if window_of else r["w"]
        key = (w, where[0], where[1]) if where else (w, None, None)
        c = out[key]
        c.n += int(r["n"])
        c.labeled += int(r["labeled"])
        if r["label"] is not None:
            c.pairs[(str(r["prediction"]), str(r["label"]))] += int(r["labeled"])
            add_error_sums(c, r)
    return out


def add_error_sums(c: Counts, r: dict[str, Any]) -> None:
    """Add one row's regression sums (of `checks_outcomes` or a reference's outcomes:
    abs_err, sq_err, err, quad_err, label_sum, label_sq_sum, ape_sum, ape_sq_sum,
    ape_n) to ``c``; NULL sums (no labelled values) add nothing."""
    c.abs_err += float(r["abs_err"] or 0.0)
    c.sq_err += float(r["sq_err"] or 0.0)
    c.err += float(r["err"] or 0.0)
    c.quad_err += float(r["quad_err"] or 0.0)
    sums = c.label_sums
    sums.label_sum += float(r["label_sum"] or 0.0)
    sums.label_sq_sum += float(r["label_sq_sum"] or 0.0)
    sums.ape_sum += float(r["ape_sum"] or 0.0)
    sums.ape_sq_sum += float(r["ape_sq_sum"] or 0.0)
    sums.ape_n += int(r["ape_n"] or 0)
