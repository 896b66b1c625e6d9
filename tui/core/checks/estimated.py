"""SLOs on estimated performance: judged on the recent windows before labels arrive.

An SLO naming ``estimated_f1`` (``estimated_auc``, ``estimated_mae``, …) is judged on
every window as soon as it ends, from the estimate (see tui.core.slices.estimates) and
its sampling-error band: critical when the whole band is on the wrong side of the
objective, a warning when only the estimate is. The estimate is fitted on the
labelled reference rows (the baseline's, or the latest labelled days when the config
says ``estimates.fit_on: latest_labelled``).

Windows are judged again while labels keep arriving; once a window's labels are in
(``labels.min_fraction`` of its rows), its result records the realised value and
whether the estimate was right (``estimate_right``: the estimate and the realised
value on the same side of the objective), which the alert shows and its type's
track record counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from tui.core.checks.baseline import baseline_window
from tui.core.checks.context import Context
from tui.core.checks.labelled import _slo_status, window_span
from tui.core.checks.reference import reference_path, staged_reference
from tui.core.checks.results import FAILING, Result, Status
from tui.core.checks.spans import Span
from tui.core.config.settings import ESTIMATED_PREFIX, Model, Settings, class_score_column
from tui.core.config.times import floor_time
from tui.core.errors import OncallError
from tui.core.slices.estimates import (
    EstimateReport,
    EstimateRow,
    Fitted,
    Reference,
    estimate,
    fit,
)
from tui.core.slices.request import Request
from tui.core.store.connection import execute, fetch, fetch_rows
from tui.core.store.sqlparts import ident, predictions_table, raw

if TYPE_CHECKING:
    import polars as pl


def _fit_columns(model: Model) -> list[str]:
    """The columns the fit reads beyond score, label and version: the class scores of a
    multiclass model, the features of a regression one (only the loss model uses them;
    loading every feature of millions of reference rows cost seconds and most of the
    memory of a classifier's estimate)."""
    if model.task == "multiclass":
        return [class_score_column(str(c)) for c in model.classes or []]
    if model.task == "regression":
        return list(model.features)
    return []


def latest_labelled_window(
    con: duckdb.DuckDBPyConnection, model_name: str, model: Model, now: datetime
) -> tuple[datetime, datetime] | None:
    """The latest run of whole days (at most ``estimates.fit_window``) whose labels have
    arrived (``labels.min_fraction`` of their rows labelled by now); None if no day has."""
    days = fetch_rows(
        con,
        "estimates_label_days",
        {"model": model_name, "until": floor_time(now, timedelta(days=1)), "now": now},
        table=predictions_table(model_name),
    )
    complete = [
        d["day"] for d in days if d["n"] and d["labeled"] / d["n"] >= model.labels.min_fraction
    ]
    if not complete:
        return None
    end = complete[-1] + timedelta(days=1)
    start = end - timedelta(days=1)
    wanted = {d for d in complete}
    while start - timedelta(days=1) in wanted and end - start < model.estimates.fit_window:
        start -= timedelta(days=1)
    return start, end


def labelled_reference(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    now: datetime,
) -> Reference:
    """The labelled rows an estimate is fitted on: the baseline file's, the stored rows
    of a window or model-version baseline (the model's first week without one), or the
    latest labelled days (``fit_on: latest_labelled``, or a rolling ``last:`` baseline)."""
    model = settings.model(model_name)
    columns = _fit_columns(model)
    baseline = model.baseline
    rolling = baseline is not None and baseline.kind == "last"
    if model.estimates.fit_on == "latest_labelled" or rolling:
        window = latest_labelled_window(con, model_name, model, now)
        if window is None:
            return Reference("the latest labelled days", None, "no day has its labels yet")
        return _stored(con, model_name, window, None, now, columns, "the latest labelled days")
    if baseline is not None and baseline.kind == "file":
        frame = reference_frame(con, settings, model_name, now, columns)
        return Reference(f"the baseline file {baseline.file}", frame)
    first = fetch_rows(con, "checks_time_range", table=predictions_table(model_name))[0]
    if first["first_ts"] is None:
        return Reference("the baseline", None, "the model has no rows")
    if baseline is not None and baseline.kind == "model_version":
        span = (first["first_ts"], now)
        name = f"model version {baseline.model_version}"
        return _stored(con, model_name, span, baseline.model_version, now, columns, name)
    start, end = baseline_window(model, first["first_ts"])
    name = f"the baseline window {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
    return _stored(con, model_name, (start, end), None, now, columns, name)


def _stored(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    window: tuple[datetime, datetime],
    version: str | None,
    now: datetime,
    columns: list[str],
    name: str,
) -> Reference:
    frame = fetch(
        con,
        "estimates_reference_stored",
        {"model": model_name, "start": window[0], "end": window[1], "now": now, "version": version},
        table=predictions_table(model_name),
        columns=raw("".join(f", p.{ident(c)}" for c in columns)),
    )
    return Reference(name, frame)


def reference_frame(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    now: datetime,
    columns: list[str],
) -> pl.DataFrame | None:
    """The labelled rows of the model's reference file (model_version, score, prediction,
    prediction_value, label, label_value and ``columns``), staged and checked as
    ingest checks a predictions file (InputError naming the file, row and column of a
    bad value); None when the baseline is not a file."""
    model = settings.model(model_name)
    path = reference_path(settings, model)
    if path is None:
        return None
    staged_reference(con, settings, model_name, model, path, now)
    try:
        # Every declared feature and class score is a staged column (NULL when absent).
        extra = raw("".join(f", {ident(c)}" for c in columns))
        return fetch(con, "estimates_reference_file", columns=extra)
    finally:
        execute(con, "stage_drop")


def fitted_estimate(
    con: duckdb.DuckDBPyConnection, settings: Settings, model_name: str, now: datetime
) -> Fitted:
    """The model's estimate, fitted on its labelled reference rows."""
    model = settings.model(model_name)
    return fit(model, labelled_reference(con, settings, model_name, now))


def _status(slo: Any, value: float | None, band: tuple[float, float] | None) -> Status:
    return _slo_status(slo, value, band)


def evaluate_estimated_slos(ctx: Context, span: Span) -> list[Result]:
    """Every ``estimated_*`` SLO of the model, per window (and slice value for `by:`)."""
    slos = [s for s in ctx.model.slos if s.metric.startswith(ESTIMATED_PREFIX)]
    if not slos:
        return []
    fitted = ctx.memo(
        "estimates_fit", lambda: fitted_estimate(ctx.con, ctx.settings, ctx.model_name, ctx.now)
    )
    # SLOs over calendar months are judged on the months that end within the span.
    spans = {
        slo: span if isinstance(slo.window, timedelta) else window_span(span, slo.window)
        for slo in slos
    }
    if ctx.model.task == "regression" and fitted.loss is None:
        problem = f"estimated SLOs not judged: {fitted.problem}"
        return [
            _insufficient(ctx, slo, w, spans[slo].end_of(w), problem)
            for slo in slos
            for w in spans[slo].windows()
        ]
    reports: dict[tuple[Span, str | None], list[EstimateRow]] = {}
    for slo in slos:
        key = (spans[slo], slo.by)
        if key not in reports:
            reports[key] = _estimate_rows(ctx, fitted, spans[slo], slo.by)
    out: list[Result] = []
    for slo in slos:
        metric = slo.metric.removeprefix(ESTIMATED_PREFIX)
        check = f"slo:{slo.metric}" + (f":by={slo.by}" if slo.by else "")
        threshold = slo.min if slo.min is not None else slo.max
        own = spans[slo]
        rows = {(r.window_start, _value(r.slice, slo.by)): r for r in reports[(own, slo.by)]}
        keys = sorted({v for (_w, v) in rows}, key=lambda v: v or "")
        for w in own.windows():
            for value in keys or [None]:
                row = rows.get((w, value))
                slice_ = {slo.by: value} if slo.by and value is not None else None
                n = row.n if row else 0
                est: float | None = None
                if row is None or n < slo.min_labeled:
                    status: Status = "insufficient"
                    detail: dict[str, Any] = {
                        "reason": "too few rows to estimate",
                        "rows": n,
                        "min_rows": slo.min_labeled,
                        **own.label(w),
                    }
                else:
                    est, band = row.estimated.get(metric), row.band.get(metric)
                    status = _status(slo, est, band)
                    detail = {
                        "metric": slo.metric,
                        "estimated": est,
                        "interval": list(band) if band else None,
                        "rows": n,
                        "labeled": row.n_labeled,
                        "coverage": row.coverage,
                        "labels_complete": row.labels_complete,
                        **{
                            k: v
                            for k, v in fitted.to_json().items()
                            if k in ("method", "fitted_on")
                        },
                        **own.label(w),
                    }
                    if est is None:
                        detail["reason"] = f"{slo.metric} is undefined on these rows"
                    realised = row.realised.get(metric)
                    if row.labels_complete and realised is not None and est is not None:
                        said = _status(slo, realised, None)
                        detail["realised"] = realised
                        detail["estimate_right"] = (status in FAILING) == (said in FAILING)
                out.append(
                    Result(
                        ctx.model_name,
                        check,
                        "estimated_slo",
                        None,
                        slice_,
                        w,
                        own.end_of(w),
                        est,
                        threshold,
                        status,
                        n,
                        detail,
                    )
                )
    return out


def _estimate_rows(ctx: Context, fitted: Fitted, span: Span, by: str | None) -> list[EstimateRow]:
    """The estimate of each window of the span: one grouped query for windows of a fixed
    length; for calendar months, the estimator over each month's rows (a month has no
    fixed length to bucket by, and an estimate such as AUC's is no sum of its days')."""
    if isinstance(span.step, timedelta):
        req = Request(ctx.model_name, ctx.model, span.start, span.end, ctx.now)
        return estimate(ctx.con, req, fitted, every=span.bucket, by=by).rows
    rows: list[EstimateRow] = []
    for w in span.windows():
        month = Request(ctx.model_name, ctx.model, w, span.end_of(w), ctx.now)
        rows += estimate(ctx.con, month, fitted, every=None, by=by).rows
    return rows


def _value(slice_: dict[str, str] | None, by: str | None) -> str | None:
    return slice_.get(by) if slice_ and by else None


def _insufficient(ctx: Context, slo: Any, w: datetime, end: datetime, problem: str) -> Result:
    threshold = slo.min if slo.min is not None else slo.max
    check = f"slo:{slo.metric}" + (f":by={slo.by}" if slo.by else "")
    return Result(
        ctx.model_name,
        check,
        "estimated_slo",
        None,
        None,
        w,
        end,
        None,
        threshold,
        "insufficient",
        0,
        {"reason": problem},
    )


def daily_estimate(
    con: duckdb.DuckDBPyConnection, settings: Settings, req: Request
) -> tuple[EstimateReport | None, str | None]:
    """The request's estimate per day (for a metric-over-time plot), or None and why
    there is none (no labelled reference for a regression model; a baseline file that
    cannot be read, said in one line rather than failing the whole view)."""
    try:
        fitted = fitted_estimate(con, settings, req.model_name, req.now)
    except OncallError as exc:
        return None, exc.message
    if req.model.task == "regression" and fitted.loss is None:
        return None, fitted.problem
    if req.model.task == "multiclass" and not fitted.class_maps and not req.model.classes:
        return None, "no classes declared"
    try:
        day = timedelta(days=1)
        return estimate(con, req, fitted, every=day, origin=floor_time(req.since, day)), None
    except OncallError as exc:
        return None, exc.message
