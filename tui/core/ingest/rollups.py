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
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw

SCORE_BINS = 20


def rollups_table(model: str) -> Fragment:
    """The table holding one model's rollups."""
    return Fragment(ident(f"rollups__{model}"))


def sync_rollup_table(con: duckdb.DuckDBPyConnection, model_name: str, model: Model) -> None:
    """Create the model's rollup table; rebuild it if its slice columns changed."""
    name = f"rollups__{model_name}"
    existing = [
        str(r["column_name"]) for r in fetch_rows(con, "store_columns", {"table_name": name})
    ]
    fixed = {
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
    if existing and [c for c in existing if c not in fixed] == list(model.slices):
        return
    if existing:
        execute(con, "rollup_drop_table", table=rollups_table(model_name))
    columns = raw("".join(f"{ident(c)} VARCHAR, " for c in model.slices))
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
        missing = not fetch_rows(con, "store_columns", {"table_name": f"rollups__{model_name}"})
        if not missing and not dirty_days(con, model_name):
            return 0
    with store.write() as con:
        if missing:
            sync_rollup_table(con, model_name, model)
        return rebuild(con, model_name, model)
