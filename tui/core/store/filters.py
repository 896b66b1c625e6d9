"""Structured row filters (`region=EU`): columns checked against the declared schema,
values always bound as parameters, never written into SQL."""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.config.settings import Model
from tui.core.errors import UsageError
from tui.core.store.sqlparts import NULL_SLICE_VALUE, Fragment, ident

CONTRACT_FILTERS = ("model_version", "prediction")


@dataclass(frozen=True)
class Filter:
    """One `column=value` condition."""

    column: str
    value: str


def filterable(model: Model) -> list[str]:
    """The columns a filter may name for this model."""
    return [*model.slices, *model.features, *CONTRACT_FILTERS]


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
            raise UsageError(
                f"{column!r} is not a column of model {model_name!r}; valid: {', '.join(valid)}",
                field="where",
            )
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
