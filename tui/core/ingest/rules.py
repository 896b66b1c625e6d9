"""Rules for values: the believable time window, classes a model has, and how a
file's names and values are quoted in a message (short, and never an unrelated
file's contents)."""

from __future__ import annotations

from datetime import datetime
from datetime import time as clock_time

import duckdb

from tui.core.config.settings import IngestPolicy, Model
from tui.core.errors import InputError
from tui.core.ingest.files import FileShape, shown_name
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import ident, predictions_table, raw


def timestamp_sql(moment: datetime) -> str:
    # Built from a datetime, never from text: safe to write into the statement.
    return f"TIMESTAMP '{moment.isoformat(sep=' ')}'"


def ts_window(model: Model, policy: IngestPolicy, now: datetime) -> tuple[datetime, datetime]:
    """The believable serving times ``[earliest, latest]`` of a model's predictions: not
    more than ``max_future`` after now, not more than ``max_past`` before the
    baseline's start (or before now, without one)."""
    anchor = now
    if model.baseline is not None and model.baseline.start is not None:
        anchor = datetime.combine(model.baseline.start, clock_time())
    try:
        earliest = anchor - policy.max_past
    except OverflowError:
        earliest = datetime.min
    try:
        latest = now + policy.max_future
    except OverflowError:
        latest = datetime.max
    return earliest, latest


def file_has(shape: FileShape, known: set[str]) -> str:
    """The file's columns, for a message, only if the file looks like a data file at
    all (it has one of the ``known`` columns): the column names of an unrelated file
    (a link to a key) are its contents."""
    names = list(shape.columns)
    if not known & set(names):
        return f"the file has none of the expected columns ({len(names)} columns)"
    shown = ", ".join(n if len(n) <= 40 else n[:40] + "…" for n in names[:20])
    more = f" and {len(names) - 20} more" if len(names) > 20 else ""
    return f"the file has: {shown}{more}"


# Undeclared columns beyond this many are one finding, not one each: a file with
# 10,000 extra columns would otherwise raise 10,000 schema alerts every window.
MAX_SEPARATE_UNDECLARED = 10
UNDECLARED = "(undeclared)"


def undeclared_findings(names: list[str]) -> list[tuple[str, str, str]]:
    """Schema findings for undeclared columns: one each, or one for them all."""
    if len(names) <= MAX_SEPARATE_UNDECLARED:
        return [(n, "unexpected", f"column {n!r} is not declared") for n in names]
    shown = ", ".join(n if len(n) <= 40 else n[:40] + "…" for n in names[:3])
    detail = f"{len(names)} undeclared columns: {shown}, … and {len(names) - 3} more"
    return [(UNDECLARED, "unexpected", detail)]


def show_value(value: object, limit: int = 60) -> str:
    """A value from a file as a message quotes it: repr, cut short if long."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _where_value(con: duckdb.DuckDBPyConnection, shape: FileShape, expr: str, value: str) -> str:
    """Where in the file a staged value first appears (a line or a row)."""
    probe = raw(f"{expr} AS raw_value")
    params = shape.reader_params(needle=value)
    fragments = shape.reader_fragments(probe_list=probe, condition=raw("true"))
    rows = fetch_rows(con, shape.reader_query(stage=False), params, **fragments)
    return shape.line_of(int(rows[0]["row_no"])) if rows else "a row"


def _outside(con: duckdb.DuckDBPyConnection, column: str, allowed: list[str]) -> list[str]:
    rows = fetch_rows(con, "stage_class_outside", {"allowed": allowed}, column=raw(ident(column)))
    return [str(r["value"]) for r in rows]


def check_classes(
    con: duckdb.DuckDBPyConnection,
    shape: FileShape,
    expressions: dict[str, str],
    kind: str,
    model_name: str,
    model: Model,
) -> None:
    """Refuse a label or predicted class the model does not have, naming its row.

    A binary model has its positive class and one other: the declared one, else the one
    already stored, else the file may bring at most one. A multiclass model's values
    must be among `classes` when they are declared."""
    column = "label" if kind == "labels" else "prediction"
    if model.task == "regression" or (model.task == "multiclass" and not model.classes):
        return
    source = shape.columns[column].name

    def refuse(value: str, why: str) -> InputError:
        where = _where_value(con, shape, expressions[column], value)
        return InputError(
            f"{shape.path}: {where}: column {shown_name(source)}: {show_value(value)} {why}; "
            "nothing was written"
        )

    if model.classes:
        allowed = [str(c) for c in model.classes]
        if model.task == "binary" and str(model.positive) not in allowed:
            allowed.append(str(model.positive))
        bad = _outside(con, column, allowed)
        if bad:
            raise refuse(bad[0], f"is not one of the declared classes {sorted(allowed)}")
        return
    positive = str(model.positive)
    stored = fetch_rows(
        con,
        "predictions_other_class",
        {"model": model_name, "positive": positive},
        table=predictions_table(model_name),
    )
    if stored:
        other = str(stored[0]["value"])
        bad = _outside(con, column, [positive, other])
        if bad:
            raise refuse(
                bad[0],
                f"is neither the positive class {positive!r} nor the other class {other!r} "
                f"already stored for model {model_name!r} (a binary model's classes take "
                "two values)",
            )
        return
    others = _outside(con, column, [positive])
    if len(others) > 1:
        raise refuse(
            others[1],
            f"is a third value: a binary model's classes take two values, the positive "
            f"class {positive!r} and one other, and the file also has {show_value(others[0])}",
        )
