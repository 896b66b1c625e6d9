"""Ingest: production files into the store, atomically, idempotently, strictly.

Each file is staged in a temporary table with every column cast to its declared
type and a ``_bad`` column holding the number of the first check a row fails. If
any row fails, the offending file row is found again with its raw value and the
whole file is refused (exit 2) before anything is written. Otherwise new rows are
inserted, changed ones replaced, and the file's SHA-256 is recorded so that the
same file again is recognised without being read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from tui.core.config.settings import IngestPolicy, Model, Settings
from tui.core.errors import ConfigError, InputError
from tui.core.ingest.files import (
    FileColumn,
    FileShape,
    Format,
    detect_format,
    inspect_file,
    reader_error,
)
from tui.core.ingest.rollups import mark_dirty, sync_rollup_table
from tui.core.ingest.rules import (
    check_classes,
    file_has,
    show_value,
    timestamp_sql,
    ts_window,
    undeclared_findings,
)
from tui.core.ingest.snapshot import private_folder, take_snapshot
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.sqlparts import (
    Fragment,
    columns,
    ident,
    predictions_table,
    predictions_union,
    raw,
    sql_type,
)

Kind = Literal["predictions", "labels"]
Progress = Callable[[str], None]


@dataclass
class IngestResult:
    """What ingesting one file did."""

    file: str
    model: str
    kind: str
    rows: int
    added: int
    replaced: int
    unchanged: int
    seconds: float
    sha256: str
    already_ingested: bool = False
    schema_findings: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def model_columns(model: Model) -> dict[str, str]:
    """A model's slice and feature columns with their SQL types."""
    result = dict.fromkeys(model.slices, "VARCHAR")
    for name, feature in model.features.items():
        result[name] = "DOUBLE" if feature.type == "numeric" else "VARCHAR"
    return result


def sync_columns(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Create each model's predictions table, add newly declared columns, refuse a type
    change of an existing one, and rebuild the `predictions` view when anything moved."""
    changed = False
    for model_name, model in settings.config.models.items():
        table = predictions_table(model_name)
        table_name = f"predictions__{model_name}"
        existing = {
            str(r["column_name"]): str(r["data_type"])
            for r in fetch_rows(con, "store_columns", {"table_name": table_name})
        }
        if not existing:
            execute(con, "predictions_create_table", table=table)
            changed = True
        for name, kind in model_columns(model).items():
            if name in existing:
                if existing[name] != kind:
                    declared = "numeric" if kind == "DOUBLE" else "categorical"
                    raise ConfigError(
                        f"{settings.path}: models.{model_name}: column {name!r} is declared "
                        f"{declared} but the store holds it as {existing[name]}; "
                        "use a new column name"
                    )
                continue
            execute(
                con,
                "predictions_add_column",
                table=table,
                column=raw(ident(name)),
                column_type=raw(sql_type(kind)),
            )
            changed = True
        sync_rollup_table(con, model_name, model)
    if changed:
        tables = [str(r["table_name"]) for r in fetch_rows(con, "predictions_tables")]
        execute(con, "predictions_create_view", union=predictions_union(tables))


def _targets(kind: Kind, model: Model) -> list[Target]:
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
    out += [Target(s, "VARCHAR", "text", False) for s in model.slices]
    for name, feature in model.features.items():
        if feature.type == "numeric":
            out.append(Target(name, "DOUBLE", "number", False))
        else:
            out.append(Target(name, "VARCHAR", "text", False))
    return out


# Derived targets read the same file column as another one.
_SOURCE = {"label_value": "label", "prediction_value": "prediction"}


def _text(col: FileColumn) -> str:
    if col.type.upper() == "JSON":
        return f"({col.ref} ->> '$')"
    if col.fractional:
        # 1.0 in a float column is the class "1", not "1.0".
        return (
            f"(CASE WHEN {col.ref} = trunc({col.ref}) AND abs({col.ref}) < 1e15 "
            f"THEN CAST(CAST({col.ref} AS BIGINT) AS VARCHAR) ELSE CAST({col.ref} AS VARCHAR) END)"
        )
    return f"CAST({col.ref} AS VARCHAR)"


def _expression(target: Target, col: FileColumn | None, now_sql: str) -> tuple[str, list[Check]]:
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
            expr = f"TRY_CAST({_text(col) if kind == 'JSON' else src} AS DOUBLE)"
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
            expr = f"CAST(TRY_CAST({_text(col)} AS TIMESTAMPTZ) AS TIMESTAMP)"
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
    text = src if kind == "VARCHAR" else _text(col)
    if target.name == "model_version":
        return f"coalesce({text}, 'unknown')", checks
    return text, checks


@dataclass
class _Plan:
    select_list: Fragment
    checks: list[Check]
    stage_columns: list[str]
    findings: list[tuple[str, str, str]]  # (column, finding, detail)
    # The SQL reading each target from the file (to find a staged value's row again).
    expressions: dict[str, str] = field(default_factory=dict)


def _plan(
    kind: Kind,
    model_name: str,
    model: Model,
    shape: FileShape,
    now: datetime,
    policy: IngestPolicy | None = None,
) -> _Plan:
    now_sql = timestamp_sql(now)
    targets = _targets(kind, model)
    missing_required = [
        t.name for t in targets if t.required and _SOURCE.get(t.name, t.name) not in shape.columns
    ]
    if missing_required:
        known = {_SOURCE.get(t.name, t.name) for t in targets}
        raise InputError(
            f"{shape.path}: missing required column {missing_required[0]!r} for {kind} of "
            f"model {model_name!r}; {file_has(shape, known)}; nothing was written"
        )
    parts: list[str] = []
    checks: list[Check] = []
    expressions: dict[str, str] = {}
    for target in targets:
        col = shape.columns.get(_SOURCE.get(target.name, target.name))
        expr, target_checks = _expression(target, col, now_sql)
        parts.append(f"{expr} AS {ident(target.name)}")
        checks += target_checks
        expressions[target.name] = expr
        if target.name == "ts" and col is not None and not col.nested:
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
    if checks:
        cases = " ".join(f"WHEN {c.condition} THEN {i}" for i, c in enumerate(checks))
        parts.append(f"CASE {cases} END AS _bad")
    else:
        parts.append("CAST(NULL AS INTEGER) AS _bad")
    findings: list[tuple[str, str, str]] = []
    if kind == "predictions":
        declared = {t.name for t in targets}
        for name in [*model.slices, *model.features]:
            if name not in shape.columns:
                findings.append((name, "missing", f"declared column {name!r} is not in the file"))
            elif name in model.features:
                expected = model.features[name].type
                col = shape.columns[name]
                if shape.format != "csv" and (expected == "numeric") != col.numeric:
                    findings.append(
                        (name, "type_change", f"declared {expected}, the file holds {col.type}")
                    )
        findings += undeclared_findings([n for n in shape.columns if n not in declared])
    return _Plan(
        select_list=raw(", ".join(parts)),
        checks=checks,
        stage_columns=[t.name for t in targets],
        findings=findings,
        expressions=expressions,
    )


def _refuse(
    con: duckdb.DuckDBPyConnection, shape: FileShape, plan: _Plan, summary: dict[str, Any]
) -> InputError | None:
    """The error for the first bad row of the staged file, or None if every row is good."""
    if summary["bad_rows"]:
        first = int(summary["first_bad"])
        total = int(summary["bad_rows"])
        check = plan.checks[first]
        src = shape.columns[check.source]
        probe = raw(f"CAST({src.ref} AS VARCHAR) AS raw_value, ({check.condition}) AS failed")
        params = {"path": str(shape.source), "needle": None}
        fragments = shape.reader_fragments(probe_list=probe, condition=raw("failed"))
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
        params = {"path": str(shape.source), "needle": dup}
        fragments = shape.reader_fragments(probe_list=probe, condition=raw("true"))
        rows = fetch_rows(con, shape.reader_query(stage=False), params, **fragments)
        where = " and ".join(shape.line_of(int(r["row_no"])) for r in rows) or "a row"
        return InputError(
            f"{shape.path}: {where}: column 'prediction_id': {show_value(dup)} appears "
            f"{dups[0]['n']} times in the file; ids must be unique; nothing was written"
        )
    return None


def _stage(con: duckdb.DuckDBPyConnection, shape: FileShape, plan: _Plan) -> None:
    fragments = shape.reader_fragments(select_list=plan.select_list)
    try:
        execute(con, shape.reader_query(stage=True), {"path": str(shape.source)}, **fragments)
    except duckdb.Error as exc:
        raise reader_error(shape, exc) from None


def _merge_predictions(
    con: duckdb.DuckDBPyConnection, model_name: str, plan: _Plan, ingest_id: int, rows: int
) -> tuple[int, int, int]:
    table = predictions_table(model_name)
    stage_cols = columns(plan.stage_columns, prefix="s.")
    overlap = int(fetch_rows(con, "predictions_overlap", table=table)[0]["n"])
    params = {"ingest_id": ingest_id}
    if overlap == 0:
        execute(con, "predictions_insert_all", params, table=table, stage_columns=stage_cols)
        return rows, 0, 0
    differs = " OR ".join(f"s.{ident(c)} IS DISTINCT FROM p.{ident(c)}" for c in plan.stage_columns)
    execute(con, "predictions_mark_changed", table=table, differs=raw(differs))
    replaced = int(fetch_rows(con, "predictions_changed_count")[0]["n"])
    execute(con, "predictions_delete_changed", table=table)
    execute(con, "predictions_insert_new", params, table=table, stage_columns=stage_cols)
    added = rows - overlap
    return added, replaced, overlap - replaced


def _merge_labels(
    con: duckdb.DuckDBPyConnection, model_name: str, ingest_id: int, now: datetime
) -> tuple[int, int, int]:
    counts = fetch_rows(con, "labels_merge_counts", {"model": model_name})[0]
    params = {"model": model_name, "now": now, "ingest_id": ingest_id}
    if counts["replaced"]:
        execute(con, "labels_record_replaced", params)
        execute(con, "labels_apply_replaced", params)
    if counts["added"]:
        execute(con, "labels_insert_new", params)
    return int(counts["added"]), int(counts["replaced"]), int(counts["unchanged"])


def ingest_file(
    store: Store,
    settings: Settings,
    kind: Kind,
    model_name: str,
    path: Path,
    *,
    actor: str,
    now: datetime,
    fmt: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest one file in one transaction; raise InputError and write nothing on bad input."""
    model = settings.model(model_name)
    started = time.perf_counter()
    step = progress or (lambda _msg: None)
    file_format: Format = detect_format(path, fmt)
    step(f"hashing {path.name}")
    # One snapshot, hashed as it is copied, is both what the log names and what is read.
    snapshot = take_snapshot(path, private_folder(store.path.parent), f".{file_format}")
    try:
        return _ingest_snapshot(
            store,
            settings,
            kind,
            model_name,
            model,
            path,
            snapshot.copy,
            snapshot.sha256,
            actor=actor,
            now=now,
            file_format=file_format,
            force=force,
            step=step,
            started=started,
        )
    finally:
        snapshot.discard()


def _ingest_snapshot(
    store: Store,
    settings: Settings,
    kind: Kind,
    model_name: str,
    model: Model,
    path: Path,
    copy: Path,
    digest: str,
    *,
    actor: str,
    now: datetime,
    file_format: Format,
    force: bool,
    step: Progress,
    started: float,
) -> IngestResult:
    with store.write() as con:
        if not force:
            seen = fetch_rows(
                con, "ingest_seen", {"model": model_name, "kind": kind, "sha256": digest}
            )
            if seen:
                rows = int(seen[0]["rows_in_file"])
                return IngestResult(
                    str(path),
                    model_name,
                    kind,
                    rows,
                    0,
                    0,
                    rows,
                    round(time.perf_counter() - started, 3),
                    digest,
                    already_ingested=True,
                )
        sync_columns(con, settings)
        step(f"reading {path.name}")
        shape = inspect_file(con, path, file_format, read_path=copy)
        plan = _plan(kind, model_name, model, shape, now, settings.config.ingest)
        _stage(con, shape, plan)
        step(f"checking {path.name}")
        summary = fetch_rows(con, f"stage_check_{kind}")[0]
        refusal = _refuse(con, shape, plan, summary)
        if refusal is not None:
            raise refusal
        check_classes(con, shape, plan.expressions, kind, model_name, model)
        rows = int(summary["n"])
        if rows == 0:
            raise InputError(f"{path}: the file has a header but no rows; nothing was written")
        ingest_id = int(fetch_rows(con, "ingest_next_id")[0]["ingest_id"])
        step(f"writing {rows:,} rows of {path.name}")
        if kind == "predictions":
            added, replaced, unchanged = _merge_predictions(con, model_name, plan, ingest_id, rows)
        else:
            added, replaced, unchanged = _merge_labels(con, model_name, ingest_id, now)
        for column, finding, detail in plan.findings:
            execute(
                con,
                "schema_finding_insert",
                {
                    "ingest_id": ingest_id,
                    "model": model_name,
                    "path": str(path),
                    "column_name": column,
                    "finding": finding,
                    "detail": detail,
                    "min_ts": summary["min_ts"],
                    "max_ts": summary["max_ts"],
                    "found_at": now,
                },
            )
        mark_dirty(con, model_name, kind)
        execute(con, "stage_drop")
        seconds = round(time.perf_counter() - started, 3)
        execute(
            con,
            "ingest_log_insert",
            {
                "ingest_id": ingest_id,
                "model": model_name,
                "kind": kind,
                "path": str(path),
                "sha256": digest,
                "rows_in_file": rows,
                "rows_added": added,
                "rows_replaced": replaced,
                "rows_unchanged": unchanged,
                "min_ts": summary["min_ts"],
                "max_ts": summary["max_ts"],
                "ingested_at": now,
                "seconds": seconds,
                "actor": actor,
            },
        )
    return IngestResult(
        str(path),
        model_name,
        kind,
        rows,
        added,
        replaced,
        unchanged,
        seconds,
        digest,
        schema_findings=[{"column": c, "finding": f, "detail": d} for c, f, d in plan.findings],
    )
