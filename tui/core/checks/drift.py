"""Drift checks: feature distributions and scores against the baseline's bins."""

from __future__ import annotations

from tui.core.checks.baseline import bin_counts, category_counts, score_bin_counts
from tui.core.checks.context import Context
from tui.core.checks.results import Result, grade_above, localize
from tui.core.checks.spans import Span
from tui.core.config.settings import Model
from tui.core.slices.metrics import jensen_shannon, psi
from tui.core.store.sqlparts import predictions_table


def _distance(model: Model, expected: list[float], actual: list[float]) -> float | None:
    if model.checks.drift.metric == "js":
        return jensen_shannon(expected, actual)
    return psi(expected, actual)


def evaluate_drift(ctx: Context, span: Span) -> list[Result]:
    """Every monitored feature's distribution against the baseline."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    base = ctx.baseline
    drift = model.checks.drift
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
            value = _distance(model, expected, actual) if n >= drift.min_support else None
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


def evaluate_score_drift(ctx: Context, span: Span) -> list[Result]:
    """The score distribution, overall and per slice value, against the baseline."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    base = ctx.baseline
    drift = model.checks.drift
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
                _distance(model, [float(c) for c in hist.counts], actual)
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
