"""SQL pieces built only from checked identifiers and fixed keywords.

This is the one place that writes SQL text dynamically. It accepts column names that
passed :data:`tui.core.config.settings.IDENTIFIER` and were declared in the config or found in
the store's own schema, and types from a fixed list. User values never come here; they
are bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SQL_TYPES = frozenset({"VARCHAR", "DOUBLE", "BIGINT", "TIMESTAMP", "BOOLEAN"})


@dataclass(frozen=True)
class Fragment:
    """A piece of SQL text assembled from checked parts."""

    sql: str


def ident(name: str) -> str:
    """A quoted identifier; raise ValueError for anything but a plain name."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain column name: {name!r}")
    return f'"{name}"'


def sql_type(name: str) -> str:
    """A column type from the fixed list."""
    if name not in SQL_TYPES:
        raise ValueError(f"not an allowed column type: {name!r}")
    return name


def columns(names: Iterable[str], prefix: str = "", trailing_comma: bool = False) -> Fragment:
    """``"a", "b"`` (optionally ``p."a"``), for select and group-by lists."""
    parts = [f"{prefix}{ident(n)}" for n in names]
    text = ", ".join(parts)
    if trailing_comma and parts:
        text += ","
    return Fragment(text)


def raw(text: str) -> Fragment:
    """A constant SQL fragment written in this code base, never from user input."""
    return Fragment(text)


def predictions_table(model: str) -> Fragment:
    """The table holding one model's predictions: ``"predictions__<model>"``."""
    return Fragment(ident(f"predictions__{model}"))


def predictions_union(tables: list[str]) -> Fragment:
    """Every model's table with its model name as a column, for the `predictions` view.

    The names come from the store's catalog; each must be ``predictions__<identifier>``,
    so the model part is a plain identifier and safe to write as a literal.
    """
    parts = []
    for table in tables:
        model = table.removeprefix("predictions__")
        if model == table or not _IDENT.match(model):
            raise ValueError(f"not a predictions table: {table!r}")
        parts.append(f"SELECT '{model}' AS model, * FROM {ident(table)}")  # noqa: S608
    return Fragment(" UNION ALL BY NAME ".join(parts))


def slice_keys(slice_columns: list[str]) -> Fragment:
    """Select-list entries for grouping by slice columns: each column and its GROUPING()
    flag (``g__col``), so a NULL slice value is not mistaken for a rolled-up set."""
    parts = [f"{ident(c)}, grouping({ident(c)}) AS {ident('g__' + c)}" for c in slice_columns]
    return Fragment("".join(p + ", " for p in parts))


def grouping_sets(base: list[str], slice_columns: list[str]) -> Fragment:
    """``(w, …), (w, …, col1), (w, …, col2)``: overall plus one set per slice column."""
    head = ", ".join(base)
    sets = [f"({head})"] + [f"({head}, {ident(c)})" for c in slice_columns]
    return Fragment(", ".join(sets))


NULL_SLICE_VALUE = "(null)"


def slice_value(value: object) -> str:
    """A slice value as text, the one form slices are shown and compared in: a numeric
    slice (a numeric feature used as a slice) reads ``3`` for 3.0, as the user would
    type it in a filter; NULL reads ``(null)``."""
    if value is None:
        return NULL_SLICE_VALUE
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def which_slice(row: dict[str, object], slice_columns: list[str]) -> tuple[str, str] | None:
    """The (column, value) a grouped row belongs to, or None for the overall set."""
    for column in slice_columns:
        if row.get(f"g__{column}") == 0:
            return column, slice_value(row.get(column))
    return None
