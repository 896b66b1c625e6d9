"""Structured row filters (`region=EU`): columns checked against the declared schema,
values always bound as parameters, never written into SQL."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from tui.core.config.settings import RESERVED_COLUMNS, Model
from tui.core.errors import UsageError
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import NULL_SLICE_VALUE, Fragment, ident

CONTRACT_FILTERS = ("model_version", "prediction")


# The comparisons a filter may make; `in`, `is null` and `is not null` besides.
COMPARISONS = ("=", "!=", "<>", "<=", ">=", "<", ">")
ORDERING = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True)
class Filter:
    """One condition on a column: `region=EU`, `amount>1000`, `plan in (a, b)`,
    `amount is null`. ``value`` is the first (or only) value; ``values`` all of them."""

    column: str
    value: str = ""
    op: str = "="
    values: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The condition as a person writes it."""
        if self.op in ("is null", "is not null"):
            return f"{self.column} {self.op}"
        if self.op == "in":
            return f"{self.column} in ({', '.join(self.values)})"
        return f"{self.column}{self.op}{self.value}"


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
    """Parse filters, each one or more conditions joined by `and`: `COL=VAL`, `COL!=VAL`,
    `COL<VAL` (and <=, >, >=, on numeric columns), `COL in (V1, V2)`, `COL is null`,
    `COL is not null`; a value may be quoted ('a b' or "a b"). Parsed here, never
    pasted into SQL: a column not declared, an operator not known or a number that is
    not one gets a UsageError naming it."""
    out: list[Filter] = []
    valid = filterable(model)
    for text in pairs:
        for part in _conditions(text):
            found = _condition(part, text)
            if found.column not in valid:
                raise unknown_column(model_name, found.column, valid, field="where")
            feature = model.features.get(found.column)
            numeric = feature is not None and feature.type == "numeric"
            if found.op in ORDERING and not numeric:
                raise UsageError(
                    f"{part.strip()!r}: {found.op} compares numbers, and {found.column!r} is "
                    "not a numeric feature; use = != or in (…)",
                    field="where",
                )
            if numeric:
                for value in found.values:
                    if value != NULL_SLICE_VALUE and _number(value) is None:
                        raise UsageError(
                            f"{part.strip()!r}: {found.column!r} is numeric, {value!r} is "
                            "not a number",
                            field="where",
                        )
            out.append(found)
    return out


# A value: quoted (quotes kept out), or a run of anything but spaces, commas and parens.
_TOKEN = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)"|(\(|\)|,|!=|<>|<=|>=|=|<|>)|([^\s,()=<>!'"]+))""")


def _tokens(text: str, whole: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: `value` (bare or quoted), `op` or punctuation `(`, `)`, `,`."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UsageError(
                f"cannot read the filter {whole!r} at {text[pos:].strip()!r}", field="where"
            )
        single, double, op, bare = match.groups()
        if op is not None:
            out.append(("op" if op not in "()," else op, op))
        else:
            quoted = single if single is not None else double
            out.append(
                (
                    "quoted" if quoted is not None else "value",
                    quoted if quoted is not None else bare,
                )
            )
        pos = match.end()
    return out


def _conditions(text: str) -> list[str]:
    """The parts of a filter joined by the word `and` (outside quotes)."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    words = re.split(r"(\s+)", text)
    for word in words:
        for ch in word:
            if quote and ch == quote:
                quote = ""
            elif not quote and ch in "'\"":
                quote = ch
        if not quote and word.lower() == "and":
            if not "".join(current).strip():
                raise UsageError(f"an `and` with nothing on one side in {text!r}", field="where")
            parts.append("".join(current))
            current = []
            continue
        current.append(word)
    parts.append("".join(current))
    if any(not p.strip() for p in parts):
        raise UsageError(f"an `and` with nothing on one side in {text!r}", field="where")
    return parts


def _condition(part: str, whole: str) -> Filter:
    tokens = _tokens(part, whole)
    words = [t.lower() if k == "value" else None for k, t in tokens]
    expected = (
        "expected COLUMN=VALUE, COLUMN!=VALUE, COLUMN<VALUE (<=, >, >=), "
        "COLUMN in (A, B) or COLUMN is [not] null"
    )
    if len(tokens) < 2 or tokens[0][0] != "value":
        raise UsageError(f"cannot read the filter {whole!r}: {expected}", field="where")
    column = tokens[0][1]
    rest = tokens[1:]
    if words[1:] == ["is", "null"]:
        return Filter(column, op="is null")
    if words[1:] == ["is", "not", "null"]:
        return Filter(column, op="is not null")
    if words[1] == "in":
        inner = rest[1:]
        if len(inner) < 3 or inner[0][0] != "(" or inner[-1][0] != ")":
            raise UsageError(f"cannot read the filter {whole!r}: {expected}", field="where")
        values = [t for k, t in inner[1:-1] if k in ("value", "quoted")]
        commas = [k for k, _ in inner[1:-1] if k == ","]
        if (
            not values
            or len(commas) != len(values) - 1
            or len(values) + len(commas) != len(inner) - 2
        ):
            raise UsageError(f"cannot read the list in {whole!r}: {expected}", field="where")
        return Filter(column, values[0], "in", tuple(values))
    if rest[0][0] == "op" and rest[0][1] in COMPARISONS:
        op = "!=" if rest[0][1] == "<>" else rest[0][1]
        value_tokens = rest[1:]
        if len(value_tokens) == 0 and op in ("=", "!="):
            return Filter(column, "", op, ("",))  # `segment=` is the empty value
        if len(value_tokens) == 1 and value_tokens[0][0] in ("value", "quoted"):
            value = value_tokens[0][1]
            return Filter(column, value, op, (value,))
        # `title=a b` without quotes: the value is the rest as written.
        if op in ("=", "!=") and all(k in ("value", "quoted") for k, _ in value_tokens):
            value = part.split(rest[0][1], 1)[1].strip()
            return Filter(column, value, op, (value,))
    raise UsageError(f"cannot read the filter {whole!r}: {expected}", field="where")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def filter_sql(
    filters: list[Filter], model: Model, prefix: str = "p."
) -> tuple[Fragment, list[str]]:
    """The WHERE conditions (reading values from the bound list `$values`) and the values.
    Only column names (checked against the model, quoted) and operators from a fixed
    list reach the SQL text; every value is a bound parameter."""
    parts: list[str] = []
    values: list[str] = []

    def bound(value: str, numeric: bool) -> str:
        values.append(value)
        ref = f"$values[{len(values)}]"
        return f"TRY_CAST({ref} AS DOUBLE)" if numeric else ref

    for f in filters:
        col = f"{prefix}{ident(f.column)}"
        feature = model.features.get(f.column)
        numeric = feature is not None and feature.type == "numeric"
        wanted = f.values or (f.value,)
        if f.op == "is null" or (f.op == "=" and f.value == NULL_SLICE_VALUE):
            parts.append(f"{col} IS NULL")
        elif f.op == "is not null" or (f.op == "!=" and f.value == NULL_SLICE_VALUE):
            parts.append(f"{col} IS NOT NULL")
        elif f.op == "in":
            refs = ", ".join(bound(v, numeric) for v in wanted)
            parts.append(f"{col} IN ({refs})")
        elif f.op == "!=":
            # SQL's <> leaves out the NULL rows; "not EU" includes the rows with none.
            parts.append(f"{col} IS DISTINCT FROM {bound(f.value, numeric)}")
        elif f.op in COMPARISONS:
            parts.append(f"{col} {f.op} {bound(f.value, numeric)}")
        else:
            raise UsageError(f"unknown filter operator {f.op!r}", field="where")
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
