"""Checks that wait for labels: label delay, SLOs and the offline-versus-online gap."""

from __future__ import annotations

from tui.core.checks.context import Context
from tui.core.checks.results import Result, Status, grade_above, grade_below
from tui.core.checks.spans import Span
from tui.core.config.settings import LOWER_IS_BETTER, Slo
from tui.core.slices.outcomes import Counts, task_metrics, window_outcomes
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import predictions_table

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


def evaluate_label_delay(ctx: Context, span: Span) -> list[Result]:
    """The share of each day's predictions labelled within the expected delay."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    now = ctx.now
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


def evaluate_slos(ctx: Context, span: Span) -> list[Result]:
    """Every SLO of the model, per window (and slice value for `by:` SLOs)."""
    if not ctx.model.slos:
        return []
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    now = ctx.now
    out: list[Result] = []
    by_columns = sorted({s.by for s in model.slos if s.by})
    outcomes = window_outcomes(con, model_name, by_columns, span.start, span.end, span.step, now)
    for slo in model.slos:
        check = f"slo:{slo.metric}" + (f":by={slo.by}" if slo.by else "")
        keys = sorted({(c, v) for (_w, c, v) in outcomes if c == slo.by}, key=lambda k: k[1] or "")
        threshold = slo.min if slo.min is not None else slo.max
        for w in span.windows():
            for col, value in keys:
                o = outcomes.get((w, col, value), Counts())
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
                metrics, intervals = task_metrics(model, o)
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


def evaluate_offline_gap(ctx: Context, span: Span) -> list[Result]:
    """Online metrics against the offline validation ones."""
    con = ctx.con
    model_name = ctx.model_name
    model = ctx.model
    now = ctx.now
    gap = model.checks.offline_gap
    if not model.offline:
        return []
    outcomes = window_outcomes(con, model_name, [], span.start, span.end, span.step, now)
    out: list[Result] = []
    for w in span.windows():
        o = outcomes.get((w, None, None), Counts())
        metrics, _ = task_metrics(model, o) if o.labeled >= gap.min_labeled else ({}, {})
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
