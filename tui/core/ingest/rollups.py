"""Daily rollups: counts per model, day, version, slice combination, prediction, label
and score bin, plus error sums — the unit that crosses to a warehouse (DESIGN.md).

Ingest marks the days it touched as dirty in the same transaction (cheap, so ingest
stays near bare-insert speed); whoever wants rollups next rebuilds the dirty days
first. A reader that cannot write (the store is held, or it is read-only) sees the
dirty days and reads raw rows instead, so the two never disagree.
"""

from __future__ import annotations

import duckdb

from tui.core.config.settings import Model, Settings
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw, sql_type

SCORE_BINS = 20


def rollups_table(model: str) -> Fragment:
    """The table holding one model's rollups."""
    return Fragment(ident(f"rollups__{model}"))


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


def sync_rollup_table(con: duckdb.DuckDBPyConnection, model_name: str, model: Model) -> None:
    """Create the model's rollup table; rebuild it if its slice columns changed."""
    name = f"rollups__{model_name}"
    found = fetch_rows(con, "store_columns", {"table_name": name})
    existing = [str(r["column_name"]) for r in found]
    types = {str(r["column_name"]): str(r["data_type"]) for r in found}
    if existing and _same_shape(types, model):
        return
    wanted = slice_types(model)
    if existing:
        execute(con, "rollup_drop_table", table=rollups_table(model_name))
    columns = raw("".join(f"{ident(c)} {sql_type(t)}, " for c, t in wanted.items()))
    execute(con, "rollup_create_table", table=rollups_table(model_name), slice_columns=columns)
    execute(con, "rollup_mark_all_days", {"model": model_name}, table=predictions_table(model_name))


def mark_dirty(con: duckdb.DuckDBPyConnection, model_name: str, kind: str) -> None:
    """Mark dirty the days a staged file touches (run by ingest, in its transaction)."""
    if kind == "predictions":
        execute(con, "rollup_mark_stage_days", {"model": model_name})
    else:
        execute(
            con,
            "rollup_mark_label_days",
            {"model": model_name},
            table=predictions_table(model_name),
        )


def dirty_days(con: duckdb.DuckDBPyConnection, model_name: str) -> list[object]:
    """The days whose rollups are stale."""
    return [r["day"] for r in fetch_rows(con, "rollup_dirty_days", {"model": model_name})]


def rebuild(con: duckdb.DuckDBPyConnection, model_name: str, model: Model) -> int:
    """Rebuild a model's dirty days in this transaction; return how many days."""
    days = dirty_days(con, model_name)
    if not days:
        return 0
    table = rollups_table(model_name)
    execute(con, "rollup_delete_dirty", {"model": model_name}, rollups=table)
    select = raw("".join(f"p.{ident(c)}, " for c in model.slices))
    execute(
        con,
        "rollup_rebuild",
        {"model": model_name, "regression": model.task == "regression"},
        table=predictions_table(model_name),
        rollups=table,
        slice_select=select,
    )
    execute(con, "rollup_clear_dirty", {"model": model_name})
    return len(days)


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
        found = fetch_rows(con, "store_columns", {"table_name": f"rollups__{model_name}"})
        # Missing, or the config's slices changed since the last ingest (a feature now
        # also a slice): rebuilt in the new shape.
        stale = not _same_shape({str(r["column_name"]): str(r["data_type"]) for r in found}, model)
        if not stale and not dirty_days(con, model_name):
            return 0
    with store.write() as con:
        if stale:
            sync_rollup_table(con, model_name, model)
        return rebuild(con, model_name, model)
