"""How one file is read into the store's columns: each target column's SQL from the
file's own column, the per-row checks that refuse a bad value, and the error naming
the first bad row of a file that fails them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import duckdb

from tui.core.config.settings import CLASS_SCORE_PREFIX, IngestPolicy, Model, class_score_column
from tui.core.errors import InputError
from tui.core.ingest.files import FileColumn, FileShape, every_value_read
from tui.core.ingest.rules import (
    file_has,
    show_value,
    timestamp_sql,
    ts_window,
    undeclared_findings,
)
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import Fragment, ident, raw, sql_type

Kind = Literal["predictions", "labels"]


@dataclass(frozen=True)
class Target:
    """One staged column: its name, SQL type, how it is read, and whether it is required."""

    name: str
    sql_type: str
    # "absent": not read from the file (numeric values of a classifier's classes)
    role: Literal["text", "class", "number", "time", "score", "id", "absent"]
    required: bool


@dataclass(frozen=True)
class Check:
    """A per-row check: its condition over raw values, and what it means."""

    column: str
    source: str
    condition: str
    expected: str


def targets_of(kind: Kind, model: Model) -> list[Target]:
    regression = model.task == "regression"
    if kind == "labels":
        out = [
            Target("prediction_id", "VARCHAR", "id", True),
            Target("label", "VARCHAR", "class", True),
            Target("labeled_at", "TIMESTAMP", "time", False),
            Target("label_value", "DOUBLE", "number" if regression else "absent", regression),
        ]
        return out
    out = [
        Target("prediction_id", "VARCHAR", "id", True),
        Target("ts", "TIMESTAMP", "time", True),
        Target("prediction", "VARCHAR", "class", True),
        Target("score", "DOUBLE", "score", model.task == "binary"),
        Target("model_version", "VARCHAR", "text", False),
    ]
    out.append(
        Target("prediction_value", "DOUBLE", "number" if regression else "absent", regression)
    )
    out += [Target(c, "DOUBLE", "score", False) for c in class_score_columns(model)]
    # A slice that is also a feature is staged once, typed as the feature.
    out += [Target(s, "VARCHAR", "text", False) for s in model.slices if s not in model.features]
    for name, feature in model.features.items():
        if feature.type == "numeric":
            out.append(Target(name, "DOUBLE", "number", False))
        else:
            out.append(Target(name, "VARCHAR", "text", False))
    return out


def class_score_columns(model: Model) -> list[str]:
    """A multiclass model's per-class score columns (score_<class>), one per declared
    class; none for other tasks or without declared classes."""
    if model.task != "multiclass" or not model.classes:
        return []
    return [class_score_column(str(c)) for c in model.classes]


# Per-class scores of one row must sum to one within this (rounding in the writer).
CLASS_SCORE_SUM_TOLERANCE = 0.01


def class_score_checks(
    model_name: str, model: Model, shape: FileShape, expressions: dict[str, str]
) -> list[Check]:
    """The data contract's rules for per-class scores: a file gives either none or one
    score_<class> column per declared class (no other score_ column), and a row gives
    either none or all of them, summing to 1."""
    wanted = class_score_columns(model)
    given = [c for c in shape.columns if c.startswith(CLASS_SCORE_PREFIX)]
    if model.task != "multiclass" or not given:
        return []
    strangers = [c for c in given if c not in wanted]
    if strangers:
        raise InputError(
            f"{shape.path}: column {strangers[0]!r} is not the score of a declared class of "
            f"model {model_name!r}; expected one of {', '.join(wanted) or '(no classes declared)'}"
            "; nothing was written"
        )
    missing = [c for c in wanted if c not in shape.columns]
    if missing:
        raise InputError(
            f"{shape.path}: per-class scores need one column per declared class of model "
            f"{model_name!r}; missing {', '.join(missing)}; nothing was written"
        )
    exprs = [f"({expressions[c]})" for c in wanted]
    nulls = " + ".join(f"CAST({e} IS NULL AS INTEGER)" for e in exprs)
    total = " + ".join(exprs)
    names = ", ".join(wanted)
    return [
        Check(
            wanted[0],
            wanted[0],
            f"({nulls}) BETWEEN 1 AND {len(wanted) - 1}",
            f"a score in every one of {names} when any is given",
        ),
        Check(
            wanted[0],
            wanted[0],
            f"abs({total} - 1) > {CLASS_SCORE_SUM_TOLERANCE}",
            f"scores {names} summing to 1 (within {CLASS_SCORE_SUM_TOLERANCE})",
        ),
    ]


# Derived targets read the same file column as another one.
SOURCE = {"label_value": "label", "prediction_value": "prediction"}


def text_of(col: FileColumn) -> str:
    if col.type.upper() == "JSON":
        return f"({col.ref} ->> '$')"
    if col.fractional:
        # 1.0 in a float column is the class "1", not "1.0".
        return (
            f"(CASE WHEN {col.ref} = trunc({col.ref}) AND abs({col.ref}) < 1e15 "
            f"THEN CAST(CAST({col.ref} AS BIGINT) AS VARCHAR) ELSE CAST({col.ref} AS VARCHAR) END)"
        )
    return f"CAST({col.ref} AS VARCHAR)"


def expression_of(target: Target, col: FileColumn | None, now_sql: str) -> tuple[str, list[Check]]:
    """The SQL that reads one target column, and the row checks it needs.

    A typed file (Parquet) whose column already has the declared type is read as it
    is, with no cast to check; text columns (CSV, JSON) are cast and checked per row.
    """
    if col is None or target.role == "absent":
        if target.name == "model_version":
            return "'unknown'", []
        if target.name == "labeled_at":
            return now_sql, []
        return f"CAST(NULL AS {sql_type(target.sql_type)})", []
    src = col.ref
    kind = col.type.upper()
    checks: list[Check] = []
    if target.required:
        checks.append(Check(target.name, col.name, f"{src} IS NULL", "a value (it is empty)"))
    placeholder = f"CAST(NULL AS {sql_type(target.sql_type)})"
    if col.nested:
        # A Parquet list id would otherwise be stored as the text "[1]".
        single = f"a single value, not a {col.type.split('(')[0].lower()}"
        return placeholder, [*checks, Check(target.name, col.name, f"{src} IS NOT NULL", single)]
    if kind == "BOOLEAN" and (target.role == "score" or target.required):
        # true would silently become a score (or a value) of 1.0.
        number = "a number, not true or false"
        return placeholder, [*checks, Check(target.name, col.name, f"{src} IS NOT NULL", number)]
    if kind == "JSON":
        checks.append(
            Check(
                target.name,
                col.name,
                f"json_type({src}) IN ('ARRAY', 'OBJECT')",
                "a single value, not a list or an object",
            )
        )
    if target.role in ("number", "score"):
        if kind == "DOUBLE":
            expr = src
        elif col.numeric:
            expr = f"CAST({src} AS DOUBLE)"
        else:
            text = text_of(col) if kind == "JSON" else src
            expr = f"TRY_CAST({text} AS DOUBLE)"
            if target.role == "number" and not target.required and col.text:
                # A feature written as true/false (a CSV of booleans) is 1.0/0.0, as a
                # Parquet or JSON boolean is; never for a score or a regression value.
                expr = (
                    f"coalesce({expr}, CASE lower(trim({text})) WHEN 'true' THEN 1.0 "
                    "WHEN 'false' THEN 0.0 END)"
                )
            checks.append(
                Check(target.name, col.name, f"{src} IS NOT NULL AND {expr} IS NULL", "a number")
            )
        if target.role == "score" or target.required:
            checks.append(
                Check(
                    target.name,
                    col.name,
                    f"isnan({expr}) OR isinf({expr})",
                    "a finite number (not NaN or infinite)",
                )
            )
        else:
            # A NaN feature value is a missing value; infinities fail the bounds check.
            expr = f"nullif({expr}, 'NaN'::DOUBLE)"
        if target.role == "score":
            checks.append(
                Check(
                    target.name,
                    col.name,
                    f"{expr} < 0 OR {expr} > 1",
                    "a probability between 0 and 1",
                )
            )
        return expr, checks
    if target.role == "time":
        if kind == "TIMESTAMP":
            expr = src
        elif kind.startswith("TIMESTAMP"):
            expr = f"CAST({src} AS TIMESTAMP)"
        else:
            expr = f"CAST(TRY_CAST({text_of(col)} AS TIMESTAMPTZ) AS TIMESTAMP)"
            checks.append(
                Check(
                    target.name,
                    col.name,
                    f"{src} IS NOT NULL AND {expr} IS NULL",
                    "a timestamp such as 2026-11-20T14:05:00Z",
                )
            )
        if target.name == "labeled_at":
            expr = f"coalesce({expr}, {now_sql})"
        return expr, checks
    text = src if kind == "VARCHAR" else text_of(col)
    if target.name == "model_version":
        return f"coalesce({text}, 'unknown')", checks
    return text, checks


@dataclass
class Plan:
    select_list: Fragment
    checks: list[Check]
    stage_columns: list[str]
    findings: list[tuple[str, str, str]]  # (column, finding, detail)
    # The SQL reading each target from the file (to find a staged value's row again).
    expressions: dict[str, str] = field(default_factory=dict)


def make_plan(
    kind: Kind,
    model_name: str,
    model: Model,
    shape: FileShape,
    now: datetime,
    policy: IngestPolicy | None = None,
    *,
    reference: bool = False,
) -> Plan:
    now_sql = timestamp_sql(now)
    targets = targets_of(kind, model)
    if reference:
        # A reference dataset (a baseline file) may carry its own outcomes, row by row.
        regression = model.task == "regression"
        targets += [
            Target("label", "VARCHAR", "class", False),
            Target("label_value", "DOUBLE", "number" if regression else "absent", False),
        ]
    missing_required = [
        t.name for t in targets if t.required and SOURCE.get(t.name, t.name) not in shape.columns
    ]
    if missing_required:
        known = {SOURCE.get(t.name, t.name) for t in targets}
        raise InputError(
            f"{shape.path}: missing required column {missing_required[0]!r} for {kind} of "
            f"model {model_name!r}; {file_has(shape, known)}; nothing was written"
        )
    parts: list[str] = []
    checks: list[Check] = []
    expressions: dict[str, str] = {}
    for target in targets:
        col = shape.columns.get(SOURCE.get(target.name, target.name))
        expr, target_checks = expression_of(target, col, now_sql)
        parts.append(f"{expr} AS {ident(target.name)}")
        checks += target_checks
        expressions[target.name] = expr
        # A reference dataset may be years old: its times need only be times.
        if target.name == "ts" and col is not None and not col.nested and not reference:
            earliest, latest = ts_window(model, policy or IngestPolicy(), now)
            checks.append(
                Check(
                    "ts",
                    col.name,
                    f"{expr} < {timestamp_sql(earliest)} OR {expr} > {timestamp_sql(latest)}",
                    f"a time between {earliest:%Y-%m-%d %H:%M} and {latest:%Y-%m-%d %H:%M} "
                    "UTC (the believable window: ingest.max_past before the baseline or "
                    "now, ingest.max_future after now)",
                )
            )
    if kind == "predictions":
        checks += class_score_checks(model_name, model, shape, expressions)
    if checks:
        cases = " ".join(f"WHEN {c.condition} THEN {i}" for i, c in enumerate(checks))
        parts.append(f"CASE {cases} END AS _bad")
    else:
        parts.append("CAST(NULL AS INTEGER) AS _bad")
    findings: list[tuple[str, str, str]] = []
    if kind == "predictions":
        declared = {t.name for t in targets}
        for name in dict.fromkeys([*model.slices, *model.features]):
            if name not in shape.columns:
                findings.append((name, "missing", f"declared column {name!r} is not in the file"))
            elif name in model.features:
                expected = model.features[name].type
                col = shape.columns[name]
                # A boolean fits either type: true/false text, or 1.0/0.0.
                mismatch = (expected == "numeric") != col.numeric and not col.boolean
                if shape.format != "csv" and mismatch:
                    findings.append(
                        (name, "type_change", f"declared {expected}, the file holds {col.type}")
                    )
        findings += undeclared_findings([n for n in shape.columns if n not in declared])
    return Plan(
        select_list=raw(", ".join(parts)),
        checks=checks,
        stage_columns=[t.name for t in targets],
        findings=findings,
        expressions=expressions,
    )


def refuse_bad_rows(
    con: duckdb.DuckDBPyConnection, shape: FileShape, plan: Plan, summary: dict[str, Any]
) -> InputError | None:
    """The error for the first bad row of the staged file, or None if every row is good."""
    if summary["bad_rows"]:
        first = int(summary["first_bad"])
        total = int(summary["bad_rows"])
        check = plan.checks[first]
        src = shape.columns[check.source]
        probe = raw(f"CAST({src.ref} AS VARCHAR) AS raw_value, ({check.condition}) AS failed")
        params = shape.reader_params(needle=None)
        fragments = shape.reader_fragments(probe_list=probe, condition=raw("failed"))
        with every_value_read(con):
            rows = fetch_rows(con, shape.reader_query(stage=False), params, **fragments)
        where = shape.line_of(int(rows[0]["row_no"])) if rows else "a row"
        value = rows[0]["raw_value"] if rows else None
        shown = "empty" if value is None else show_value(value)
        more = f" ({total - 1} more rows fail checks)" if total > 1 else ""
        return InputError(
            f"{shape.path}: {where}: column {check.source!r}: expected {check.expected}, "
            f"got {shown}{more}; nothing was written"
        )
    dups = fetch_rows(con, "stage_duplicate_ids") if summary["distinct_ids"] < summary["n"] else []
    if dups:
        dup = str(dups[0]["prediction_id"])
        src = shape.columns["prediction_id"]
        probe = raw(f"CAST({src.ref} AS VARCHAR) AS raw_value")
        params = shape.reader_params(needle=dup)
        fragments = shape.reader_fragments(probe_list=probe, condition=raw("true"))
        rows = fetch_rows(con, shape.reader_query(stage=False), params, **fragments)
        where = " and ".join(shape.line_of(int(r["row_no"])) for r in rows) or "a row"
        return InputError(
            f"{shape.path}: {where}: column 'prediction_id': {show_value(dup)} appears "
            f"{dups[0]['n']} times in the file; ids must be unique; nothing was written"
        )
    return None
