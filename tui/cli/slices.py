"""`oncall slices metrics|worst|series|estimate`: model quality per slice."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime, timedelta
from typing import Annotated

import typer

from tui.cli.common import Env, JsonOpt, env_of, info, out_console
from tui.cli.helptext import example
from tui.cli.listing import Format, FormatOpt, Listing, chosen, emit
from tui.core.checks.estimated import daily_estimate, fitted_estimate
from tui.core.config.lake import refuse_lake
from tui.core.config.settings import (
    CHECKS_ONLY_METRICS,
    ESTIMATED_METRICS,
    LOWER_IS_BETTER,
    METRICS_BY_TASK,
)
from tui.core.config.times import floor_time, parse_duration, parse_timestamp
from tui.core.errors import StoreBusyError, UsageError
from tui.core.ingest.rollups import refresh
from tui.core.slices.estimates import PRIMARY, estimate
from tui.core.slices.explore import metric_series, slice_metrics, worst_slices
from tui.core.slices.request import Request, default_window, primary_metric
from tui.core.store.connection import Store
from tui.core.store.filters import parse_filters
from tui.core.words import interval, num, pct, slice_text, when

app = typer.Typer(
    epilog=example("oncall slices worst --model fraud --metric recall"),
    help="Model quality per slice, with intervals and label coverage.",
    no_args_is_help=True,
)

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="The model.")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="From this time (default: 7 days ago).")
]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Up to this time (default: now).")]
VersionOpt = Annotated[str | None, typer.Option("--version", help="Only this model version.")]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="A filter, repeatable: COL=VAL, COL!=VAL, COL>N (<, <=, >=), "
        "COL in (A, B), COL is null, COL is not null; joined by `and`.",
    ),
]


def _time(value: str, option: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def request(
    env: Env,
    model: str,
    since: str | None,
    until: str | None,
    version: str | None = None,
    where: list[str] | None = None,
) -> Request:
    """The slicing request from the command's options."""
    settings = env.settings()
    spec = settings.model(model)
    now = env.now()
    start, end = default_window(now)
    req = Request(
        model,
        spec,
        _time(since, "--since") if since else start,
        _time(until, "--until") if until else end,
        now,
        version,
        parse_filters(model, spec, where or []),
    )
    if req.since >= req.until:
        raise UsageError("--since must come before --until")
    if spec.source is not None:
        # A lake model's store holds whole days of aggregates (`oncall sync`), no rows:
        # its window is widened to whole days, and said so.
        day = timedelta(days=1)
        since_day = floor_time(req.since, day)
        until_day = floor_time(req.until, day)
        until_day += day if until_day < req.until else timedelta(0)
        if (since_day, until_day) != (req.since, req.until):
            info(
                f"{model} is a lake model: its aggregates are whole days, so the window is "
                f"{since_day:%Y-%m-%d %H:%M} → {until_day:%Y-%m-%d %H:%M} (UTC)"
            )
            req.since, req.until = since_day, until_day
    return req


def refreshed_store(env: Env, model: str) -> Store:
    """The store, with the model's rollups rebuilt if ingest left days dirty (skipped,
    not waited for, when someone else holds the store: the raw rows answer then)."""
    store = env.store()
    quick = Store(store.path, timeout=2.0)
    with contextlib.suppress(StoreBusyError):
        refresh(quick, env.settings(), model)
    return store


@app.command(
    "metrics", epilog=example("oncall slices metrics --model fraud --by country --metric recall")
)
def metrics(
    ctx: typer.Context,
    model: ModelOpt,
    by: Annotated[
        str | None, typer.Option("--by", help="Slice columns, comma-separated (model_version too).")
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    version: VersionOpt = None,
    where: WhereOpt = None,
    metric: Annotated[
        str | None, typer.Option("--metric", help="Rank slices by this metric.")
    ] = None,
    exact_auc: Annotated[
        bool,
        typer.Option("--exact-auc", help="Exact AUC from raw scores (slower) instead of binned."),
    ] = False,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Metrics per slice over [since, until), labels as known now; worst first."""
    env = env_of(ctx)
    req = request(env, model, since, until, version, where)
    columns = [c.strip() for c in by.split(",") if c.strip()] if by else []
    store = refreshed_store(env, model)
    with store.read() as con:
        rows, source = slice_metrics(con, req, columns, metric, exact_auc)
    shape = chosen(fmt, as_json)
    shown = metric or primary_metric(req.model)
    names = [
        m
        for m in METRICS_BY_TASK[req.model.task]
        if m not in ("predicted_positive_rate", "fpr", *CHECKS_ONLY_METRICS)
    ]
    if shape is Format.table and sys.stdout.isatty() and out_console.width < 110:
        # At 80 columns: the ranking metric and one companion fit without truncation.
        companion = {"binary": "f1", "multiclass": "macro_f1", "regression": "rmse"}
        names = list(dict.fromkeys([shown, companion[req.model.task]]))
    cells = [
        [
            slice_text(r.slice) or "(all)",
            f"{r.n:,}",
            pct(r.coverage),
            *[num(r.value(m)) for m in names],
            interval(r.interval(shown)),
        ]
        for r in rows
    ]
    title = (
        f"{model} {req.since:%Y-%m-%d %H:%M} → {req.until:%Y-%m-%d %H:%M}, worst {shown} "
        f"first, CI of {shown} (from {source})"
    )
    heads = ("slice", "n", "labeled", *names, "95% CI")
    emit(Listing(heads, cells, lambda: [r.to_json() for r in rows], title=title), shape)


@app.command(
    "worst", epilog=example("oncall slices worst --model fraud --metric recall --max-depth 2")
)
def worst(
    ctx: typer.Context,
    model: ModelOpt,
    metric: Annotated[str | None, typer.Option("--metric")] = None,
    max_depth: Annotated[int, typer.Option("--max-depth", help="1 to 3 predicates.")] = 2,
    min_support: Annotated[
        int, typer.Option("--min-support", help="Labelled rows a slice needs.")
    ] = 100,
    since: SinceOpt = None,
    until: UntilOpt = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """The slices clearly worse than overall, worst first."""
    env = env_of(ctx)
    req = request(env, model, since, until, version)
    store = refreshed_store(env, model)
    with store.read() as con:
        rows, summary, source = worst_slices(con, req, metric, max_depth, min_support)
    shape = chosen(fmt, as_json)
    m = summary.metric
    if shape is not Format.json:
        info(
            f"{model}: overall {m} {num(summary.overall)} on {summary.n_labeled:,} labelled "
            f"of {summary.n:,} predictions (from {source})"
        )
    if not rows and shape is Format.table:
        info("no slice is clearly worse than overall")
        return
    cells = [
        [
            slice_text(r.slice),
            f"{r.n:,}",
            f"{r.n_labeled:,}",
            num(r.value),
            num(r.overall),
            num(r.lift, 2),
            interval(r.ci),
        ]
        for r in rows
    ]
    columns = ("slice", "n", "labeled", m, "overall", "lift", "95% CI")
    emit(Listing(columns, cells, lambda: [r.to_json() for r in rows]), shape)
    if shape is Format.json:
        return
    if m in LOWER_IS_BETTER:
        info("lift: the slice's value over the overall value")
    else:
        info("lift: the slice's error rate (1 - value) over the overall one")


@app.command(
    "series",
    epilog=example("oncall slices series --model fraud --metric recall --where \"country = 'DE'\""),
)
def series(
    ctx: typer.Context,
    model: ModelOpt,
    metric: Annotated[str | None, typer.Option("--metric", help="The metric to follow.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    version: VersionOpt = None,
    where: WhereOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """A metric per day from the labels, beside its estimate (with its 95% band) before
    labels arrive, and whether each day's labels are in."""
    env = env_of(ctx)
    req = request(env, model, since, until, version, where)
    store = refreshed_store(env, model)
    shown = metric or primary_metric(req.model)
    with store.read() as con:
        report, why = None, None
        if shown in ESTIMATED_METRICS[req.model.task]:
            report, why = daily_estimate(con, env.settings(), req)
        points = metric_series(con, req, metric, report)
    shape = chosen(fmt, as_json)
    if why and shape is not Format.json:
        info(f"no estimate: {why}")
    cells = [
        [
            when(p.day),
            f"{p.n:,}",
            f"{p.n_labeled:,}",
            num(p.value),
            num(p.estimated),
            interval(p.band),
            {True: "complete", False: "incomplete", None: ""}[p.labels_complete],
        ]
        for p in points
    ]
    columns = ("day", "n", "labeled", shown, "estimated", "95% band", "labels")
    title = f"{model}: {shown} per day"
    emit(Listing(columns, cells, lambda: [p.to_json() for p in points], title=title), shape)


EveryOpt = Annotated[
    str,
    typer.Option(
        "--every",
        help="The window: a duration (1h, 1d, 1w, 8h for a shift) from --since, or `all` "
        "for the whole span (since a deploy: --since its time).",
    ),
]


def _every(text: str) -> timedelta | None:
    if text.strip().lower() == "all":
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--every: {exc}", field="every") from None


@app.command(
    "estimate",
    epilog=example(
        "oncall slices estimate --model fraud --by country",
        "oncall slices estimate -m fraud --every 1w --since 2026-10-01 --by country",
    ),
)
def estimate_command(
    ctx: typer.Context,
    model: ModelOpt,
    by: Annotated[
        str | None, typer.Option("--by", help="A slice column (model_version too).")
    ] = None,
    every: EveryOpt = "1d",
    metric: Annotated[
        str | None,
        typer.Option("--metric", help="The metric to show (default: F1, macro-F1 or MAE)."),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    version: VersionOpt = None,
    where: WhereOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Estimated performance before labels arrive (calibrated CBPE for classifiers, direct
    loss estimation for regression) per window and slice, with its 95% band, beside
    the realised value where labels have arrived, and a verdict on the estimate."""
    env = env_of(ctx)
    req = request(env, model, since, until, version, where)
    refuse_lake(model, req.model.source, "`oncall slices estimate`")
    step = _every(every)
    shown = metric or PRIMARY[req.model.task]
    if shown not in ESTIMATED_METRICS[req.model.task]:
        raise UsageError(
            f"metric {shown!r} is not one of {', '.join(ESTIMATED_METRICS[req.model.task])} "
            f"estimated for {req.model.task} model {model!r}",
            field="metric",
        )
    shape = chosen(fmt, as_json)
    store = refreshed_store(env, model)
    with store.read() as con:
        fitted = fitted_estimate(con, env.settings(), model, req.now)
        if req.model.task == "regression" and fitted.loss is None:
            raise UsageError(f"no estimate for {model!r}: {fitted.problem}")
        report = estimate(con, req, fitted, every=step, by=by)
    cells = [
        [
            r.group,
            f"{r.n:,}",
            pct(r.coverage),
            num(r.estimated.get(shown)),
            interval(r.band.get(shown)),
            num(r.realised.get(shown)),
            num(r.estimated_on_labeled.get(shown)),
            "complete" if r.labels_complete else "incomplete",
        ]
        for r in report.rows
    ]
    heads = (
        "slice" if by is not None and step is None else "window",
        "n",
        "labeled",
        f"est {shown}",
        "95% band",
        f"real {shown}",
        "est on labelled",
        "labels",
    )
    title = f"{model}: estimated (before labels) vs realised (from labels)"
    emit(Listing(heads, cells, report.to_json, title=title), shape)
    if shape is Format.json:
        return
    cal = report.fitted.to_json()
    fitted_on = (
        f"{cal['method']} calibration fitted on {cal['rows']:,} labelled rows of {cal['fitted_on']}"
        if req.model.task != "regression"
        else f"loss model fitted on {cal['rows']:,} labelled rows of {cal['fitted_on']}"
    )
    if cal["problem"]:
        fitted_on += f" ({cal['problem']})"
    verdict = report.verdict
    said = (
        ("trustworthy" if verdict.trustworthy else "NOT trustworthy")
        if verdict.judged
        else "not judged"
    )
    info(f"{fitted_on}; the estimate is {said}: {verdict.reason}")
