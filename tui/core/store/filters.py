"""Structured row filters (`region=EU`): columns checked against the declared schema,
values always bound as parameters, never written into SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from tui.core.config.settings import RESERVED_COLUMNS, Model
from tui.core.errors import UsageError
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import NULL_SLICE_VALUE, Fragment, ident

CONTRACT_FILTERS = ("model_version", "prediction")


@dataclass(frozen=True)
class Filter:
    """One `column=value` condition."""

    column: str
    value: str


def filterable(model: Model) -> list[str]:
    """The columns a filter may name for this model (a slice that is also a feature
    once)."""
    return list(dict.fromkeys([*model.slices, *model.features, *CONTRACT_FILTERS]))


def unknown_column(
    model_name: str, column: str, known: list[str], *, field: str, kind: str = "column"
) -> UsageError:
    """The error for a column the user named that the model does not have (for this
    use): it names the column and the ones that would do, so no query ever runs on a
    misspelt name and no store error reaches the user."""
    return UsageError(
        f"no {kind} {column!r} in model {model_name}'s predictions; "
        f"known: {', '.join(known) or '(none declared)'}",
        field=field,
    )


def parse_filters(model_name: str, model: Model, pairs: list[str]) -> list[Filter]:
    """Parse `COL=VAL` pairs; a column that is not declared gets a UsageError listing the
    valid ones."""
    out = []
    valid = filterable(model)
    for pair in pairs:
        column, sep, value = pair.partition("=")
        column = column.strip()
        if not sep or not column:
            raise UsageError(f"a filter is COLUMN=VALUE, got {pair!r}", field="where")
        if column not in valid:
            raise unknown_column(model_name, column, valid, field="where")
        out.append(Filter(column, value))
    return out


def filter_sql(
    filters: list[Filter], model: Model, prefix: str = "p."
) -> tuple[Fragment, list[str]]:
    """The WHERE conditions (reading values from the bound list `$values`) and the values."""
    parts: list[str] = []
    values: list[str] = []
    for f in filters:
        col = f"{prefix}{ident(f.column)}"
        if f.value == NULL_SLICE_VALUE:
            parts.append(f"{col} IS NULL")
            continue
        values.append(f.value)
        ref = f"$values[{len(values)}]"
        feature = model.features.get(f.column)
        if feature is not None and feature.type == "numeric":
            parts.append(f"{col} = TRY_CAST({ref} AS DOUBLE)")
        else:
            parts.append(f"{col} = {ref}")
    return Fragment(" AND ".join(parts) if parts else "true"), values


def only_on(filters: list[Filter], columns: list[str]) -> bool:
    """True when every filter names one of `columns` (rollups hold only those)."""
    return all(f.column in columns for f in filters)


def stored_columns(con: duckdb.DuckDBPyConnection, model_name: str) -> list[str]:
    """The columns of the model's predictions table as the store holds them ([] when
    no predictions of it were ever ingested)."""
    rows = fetch_rows(con, "store_columns", {"table_name": f"predictions__{model_name}"})
    return [str(r["column_name"]) for r in rows]


def require_stored(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    wanted: Iterable[str],
    *,
    field: str | None = None,
) -> None:
    """A UsageError before any query when the model has no stored predictions, or when a
    column the request reads is declared but not in the store yet (declared after the
    last ingest): in the user's words, never the store's."""
    stored = stored_columns(con, model_name)
    if not stored:
        raise UsageError(
            f"model {model_name} has no predictions in the store yet; ingest some first"
        )
    for column in wanted:
        if column not in stored:
            known = [c for c in stored if c not in RESERVED_COLUMNS]
            raise UsageError(
                f"no column {column!r} in model {model_name}'s stored predictions yet: it is "
                "declared in the config but was added after the last ingest of predictions; "
                f"known: {', '.join(known) or '(none)'}",
                field=field,
            )
