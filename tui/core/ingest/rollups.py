"""Daily rollups: counts per model, day, version, slice combination, prediction, label
and score bin, plus error sums — the unit that crosses to a warehouse (DESIGN.md) —
and the label-delay histogram per day (overall and per value of each slice column).

Ingest marks the days it touched as dirty in the same transaction (cheap, so ingest
stays near bare-insert speed); whoever wants rollups next rebuilds the dirty days
first. A reader that cannot write (the store is held, or it is read-only) sees the
dirty days and reads raw rows instead, so the two never disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from tui.core.config.settings import Model, Settings
from tui.core.config.times import floor_time
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw, sql_type

SCORE_BINS = 20
# Label delays are kept as a histogram, the same in the rollups and in raw reads (so the
# two agree exactly): the smallest horizon (1, 3, 7, 14 days; 99 beyond) the delay is
# within, and a log-spaced bucket of the delay in hours, DELAY_STEPS to each factor of e
# (about 3% wide, so a percentile read from it is within ~1.6% of the true delay).
# NULL horizon and bucket: no label (known by now); ZERO_BUCKET: a delay of 0 or less.
DELAY_STEPS = 32
ZERO_BUCKET = -100_000
_DELAY = "epoch(l.labeled_at - p.ts)"
DELAY_HORIZON = raw(
    "CASE WHEN l.prediction_id IS NULL THEN NULL"
    + "".join(f" WHEN {_DELAY} <= {h * 86400} THEN {h}" for h in (1, 3, 7, 14))
    + " ELSE 99 END"
)
DELAY_BUCKET = raw(
    f"CASE WHEN l.prediction_id IS NULL THEN NULL WHEN {_DELAY} <= 0 THEN {ZERO_BUCKET}"
    f" ELSE floor(ln({_DELAY} / 3600) * {DELAY_STEPS})::INTEGER END"
)


def rollups_table(model: str) -> Fragment:
    """The table holding one model's rollups."""
    return Fragment(ident(f"rollups__{model}"))


def delays_table(model: str) -> Fragment:
    """The table holding one model's daily label-delay histograms."""
    return Fragment(ident(f"label_delays__{model}"))


def slice_types(model: Model) -> dict[str, str]:
    """Each slice column with the SQL type it is stored as: a slice that is also a
    numeric feature stays DOUBLE (in predictions and rollups alike, so both give the
    same groups and filters); any other slice is text."""
    out = {}
    for name in model.slices:
        feature = model.features.get(name)
        out[name] = "DOUBLE" if feature is not None and feature.type == "numeric" else "VARCHAR"
    return out


_FIXED = frozenset(
    {
        "day",
        "model_version",
        "prediction",
        "label",
        "score_bin",
        "n",
        "sum_score",
        "abs_err",
        "sq_err",
        "err",
        "quad_err",
    }
)


def _same_shape(types: dict[str, str], model: Model) -> bool:
    # The rollups keep exactly the model's slice columns, in order, with their types.
    kept = [c for c in types if c not in _FIXED]
    wanted = slice_types(model)
    return kept == list(model.slices) and all(types[c] == wanted[c] for c in kept)


_DELAY_FIXED = ("day", "grouped_by", "horizon", "bucket", "hour", "n")


def _delays_same_shape(types: dict[str, str], model: Model) -> bool:
    # Every fixed column (a table from before one was added is rebuilt) and exactly the
    # model's slice columns.
    kept = [c for c in types if c not in _DELAY_FIXED]
    wanted = slice_types(model)
    return (
        set(_DELAY_FIXED) <= set(types)
        and kept == list(model.slices)
        and all(types[c] == wanted[c] for c in kept)
    )


def _shapes(con: duckdb.DuckDBPyConnection, model_name: str, model: Model) -> tuple[bool, bool]:
    """Whether the model's rollup table and its delay table each exist in the config's shape."""
    out = []
    for name, same in (("rollups", _same_shape), ("label_delays", _delays_same_shape)):
        found = fetch_rows(con, "store_columns", {"table_name": f"{name}__{model_name}"})
        types = {str(r["column_name"]): str(r["data_type"]) for r in found}
        out.append(bool(types) and same(types, model))
    return out[0], out[1]


def sync_rollup_table(con: duckdb.DuckDBPyConnection, model_name: str, model: Model) -> None:
    """Create the model's rollup and delay tables; rebuild them if its slice columns
    changed (or the delay table is missing: a store from before it existed)."""
    rollups_ok, delays_ok = _shapes(con, model_name, model)
    if rollups_ok and delays_ok:
        return
    wanted = slice_types(model)
    columns = raw("".join(f"{ident(c)} {sql_type(t)}, " for c, t in wanted.items()))
    for table, create in (
        (rollups_table(model_name), "rollup_create_table"),
        (delays_table(model_name), "rollup_create_delays"),
    ):
        execute(con, "rollup_drop_table", table=table)
        execute(con, create, table=table, slice_columns=columns)
    execute(con, "rollup_mark_all_days", {"model": model_name}, table=predictions_table(model_name))


def mark_dirty(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    kind: str,
    model: Model | None = None,
    only_new: bool = False,
) -> None:
    """Bring the rollups up to date with a staged file just merged (run by ingest, in its
    transaction). A file of ``only_new`` rows (predictions none of which was stored,
    labels for predictions that had none: the hourly case) is added to the rollups of
    the days it touches, at a cost that follows the file, not the days (see
    ``add_staged``); any other file marks its days dirty, to be rebuilt whole."""
    if only_new and model is not None and all(_shapes(con, model_name, model)):
        add_staged(con, model_name, model, kind)
        return
    if kind == "predictions":
        execute(con, "rollup_mark_stage_days", {"model": model_name})
    else:
        execute(con, "rollup_mark_label_days", {"model": model_name})


_SUMS = ("n", "sum_score", "abs_err", "sq_err", "err", "quad_err")


def add_staged(con: duckdb.DuckDBPyConnection, model_name: str, model: Model, kind: str) -> None:
    """Add the staged file's rows to the rollup and delay tables of the days they touch.

    The staged rows' own contribution is computed by the rebuild queries over just the
    staged predictions (each day's labels join bounded as in a rebuild): new predictions
    add theirs; new labels add their predictions as labelled and take away the same
    predictions as unlabelled (they had no label before). The difference is summed into
    the stored rows of those days, which are few (thousands a day), so the cost follows
    the file. Counts come out exactly as a rebuild's; float sums (scores, errors) to
    within rounding."""
    time = raw("ts" if kind == "predictions" else "pred_ts")
    span = fetch_rows(con, "rollup_stage_span", time=time)[0]
    if span["lo"] is None:
        return  # labels whose predictions have not arrived touch no day
    one = timedelta(days=1)
    lo = floor_time(span["lo"], one)
    hi = floor_time(span["hi"], one) + one
    execute(con, "rollup_staged_rows", {"lo": lo, "hi": hi}, table=predictions_table(model_name))
    staged = raw("rollup_staged")
    # Their labels only: the joins hash the file's labels, not every label of the days.
    execute(
        con,
        "rollup_staged_labels",
        {"model": model_name, "lo": lo, "hi": hi},
        # (The labels table holds every model's: a predictions file takes its own.)
        source=raw("stage" if kind == "labels" else "(SELECT * FROM labels WHERE model = $model)"),
    )
    their_labels = raw("rollup_staged_labels")
    no_labels = raw("(SELECT * FROM labels WHERE false)")
    for target, sums, build in (
        (rollups_table(model_name), _SUMS, _rebuild_rollups),
        (delays_table(model_name), ("n",), _rebuild_delays),
    ):
        for delta in ("rollup_plus", "rollup_minus"):
            execute(con, "rollup_delta_create", delta=raw(delta), rollups=target)
        build(con, model_name, model, lo, hi, staged, their_labels, raw("rollup_plus"))
        if kind != "predictions":
            build(con, model_name, model, lo, hi, staged, no_labels, raw("rollup_minus"))
        found = fetch_rows(con, "store_columns", {"table_name": target.sql.strip('"')})
        keys = [ident(str(r["column_name"])) for r in found if r["column_name"] not in sums]
        execute(
            con,
            "rollup_delta_merge",
            rollups=target,
            sums=raw(", ".join([*keys, *(f"sum({c})::{_sum_type(c)} AS {c}" for c in sums)])),
            negated=raw(", ".join([*keys, *(f"-{c} AS {c}" for c in sums)])),
        )
        execute(con, "rollup_delta_apply", rollups=target)
    execute(con, "rollup_staged_drop")


def _sum_type(column: str) -> str:
    return "BIGINT" if column == "n" else "DOUBLE"


def dirty_days(con: duckdb.DuckDBPyConnection, model_name: str) -> list[object]:
    """The days whose rollups are stale."""
    return [r["day"] for r in fetch_rows(con, "rollup_dirty_days", {"model": model_name})]


def day_runs(days: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Consecutive days joined into [first, last + 1 day) runs."""
    runs: list[tuple[datetime, datetime]] = []
    one = timedelta(days=1)
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + one)
        else:
            runs.append((day, day + one))
    return runs


def rebuild(con: duckdb.DuckDBPyConnection, model_name: str, model: Model) -> int:
    """Rebuild a model's dirty days in this transaction, one run of consecutive days at
    a time (each reads only its own days); return how many days."""
    days = dirty_days(con, model_name)
    if not days:
        return 0
    table, delays = rollups_table(model_name), delays_table(model_name)
    execute(con, "rollup_delete_dirty", {"model": model_name}, rollups=table)
    execute(con, "rollup_delete_dirty", {"model": model_name}, rollups=delays)
    for lo, hi in day_runs(days):  # type: ignore[arg-type]
        source = predictions_table(model_name)
        _rebuild_rollups(con, model_name, model, lo, hi, source, raw("labels"), table)
        _rebuild_delays(con, model_name, model, lo, hi, source, raw("labels"), delays)
    execute(con, "rollup_clear_dirty", {"model": model_name})
    return len(days)


def _rebuild_rollups(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    lo: datetime,
    hi: datetime,
    source: Fragment,
    labels: Fragment,
    target: Fragment,
) -> None:
    """The rollup rows of the predictions of ``source`` in [lo, hi) with ``labels``,
    into ``target``."""
    execute(
        con,
        "rollup_rebuild",
        {"model": model_name, "lo": lo, "hi": hi, "regression": model.task == "regression"},
        table=source,
        labels=labels,
        rollups=target,
        slice_select=raw("".join(f"p.{ident(c)}, " for c in model.slices)),
    )


def _rebuild_delays(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    lo: datetime,
    hi: datetime,
    source: Fragment,
    labels: Fragment,
    target: Fragment,
) -> None:
    """The label-delay rows of the predictions of ``source`` in [lo, hi) with
    ``labels``, into ``target``."""
    names = [ident(c) for c in model.slices]
    sets = ", ".join(
        ["(day, horizon, bucket, hour)", *(f"(day, {c}, horizon, bucket, hour)" for c in names)]
    )
    # ident() admits plain names only, so each is safe as a quoted literal too.
    which = "".join(f"WHEN grouping({ident(c)}) = 0 THEN '{c}' " for c in model.slices)
    execute(
        con,
        "rollup_rebuild_delays",
        {"model": model_name, "lo": lo, "hi": hi},
        table=source,
        labels=labels,
        delays=target,
        slice_select=raw("".join(f"p.{ident(c)}, " for c in model.slices)),
        slice_columns=raw("".join(f"{c}, " for c in names)),
        grouped_by=raw(f"CASE {which}END" if names else "NULL::VARCHAR"),
        grouping_sets=raw(sets),
        horizon=DELAY_HORIZON,
        bucket=DELAY_BUCKET,
    )


def refresh(store: Store, settings: Settings, model_name: str) -> int:
    """Rebuild the model's dirty days if there are any (a short write transaction)."""
    model = settings.model(model_name)
    with store.read() as con:
        stored = {
            str(r["column_name"])
            for r in fetch_rows(con, "store_columns", {"table_name": f"predictions__{model_name}"})
        }
        if not stored or not set(model.slices) <= stored:
            # Nothing ingested yet, or a slice declared since the last ingest: nothing
            # to roll up (raw reads say what is missing).
            return 0
        # Missing, or the config's slices changed since the last ingest (a feature now
        # also a slice): rebuilt in the new shape.
        stale = not all(_shapes(con, model_name, model))
        if not stale and not dirty_days(con, model_name):
            return 0
    with store.write() as con:
        if stale:
            sync_rollup_table(con, model_name, model)
        return rebuild(con, model_name, model)


def check_rollup_runs(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model | None,
    slice_columns: list[str],
    start: datetime,
    end: datetime,
    step: timedelta,
    now: datetime,
) -> list[tuple[datetime, datetime, bool]]:
    """[start, end) cut into runs, each read from the rollups (True) or from raw rows
    (False). The rollups answer a classifier's daily buckets for the whole days that
    wait for no rebuild (a dirty day alone is read raw, not the whole span) and whose
    labels were all known by ``now`` (rollups hold every stored label: from the first
    day with a label known later on, raw rows, which count only the labels known by
    then). Anything else (regression, whose label sums rollups do not keep; buckets
    other than a day; rollups without a slice column) is read raw."""
    whole = [(start, end, False)]
    if model is None or model.task == "regression" or step != timedelta(days=1):
        return whole
    one = timedelta(days=1)
    days = (start, floor_time(end, one))
    if floor_time(start, one) != start or days[0] >= days[1]:
        return whole
    kept = {
        str(r["column_name"])
        for r in fetch_rows(con, "store_columns", {"table_name": f"rollups__{model_name}"})
    }
    if not kept or not set(slice_columns) <= kept:
        return whole
    late = fetch_rows(
        con,
        "labels_known_days",
        {"model": model_name, "since": days[0], "until": days[1], "now": now},
    )[0]["first_late"]
    last = days[1] if late is None else min(days[1], floor_time(late, timedelta(days=1)))
    pending = {d for d in dirty_days(con, model_name) if days[0] <= d < last}  # type: ignore[operator]
    runs: list[tuple[datetime, datetime, bool]] = []
    day = days[0]
    while day < last:
        rolled = day not in pending
        if runs and runs[-1][2] == rolled and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + one, rolled)
        else:
            runs.append((day, day + one, rolled))
        day += one
    if last < end:
        if runs and not runs[-1][2]:
            runs[-1] = (runs[-1][0], end, False)
        else:
            runs.append((last, end, False))
    return runs
