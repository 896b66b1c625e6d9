"""Ingest: production files into the store, atomically, idempotently, strictly.

Each file is staged in a temporary table with every column cast to its declared
type and a ``_bad`` column holding the number of the first check a row fails. If
any row fails, the offending file row is found again with its raw value and the
whole file is refused (exit 2) before anything is written. Otherwise new rows are
inserted, changed ones replaced, and the file's SHA-256 is recorded so that the
same file again is recognised without being read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from tui.core.config.settings import Model, Settings
from tui.core.errors import ConfigError, InputError
from tui.core.ingest.files import (
    FileShape,
    every_value_read,
    inspect_file,
    reader_error,
    snapshot_suffix,
)
from tui.core.ingest.plan import (
    SOURCE,
    Kind,
    Plan,
    class_score_columns,
    make_plan,
    refuse_bad_rows,
    targets_of,
)
from tui.core.ingest.rollups import mark_dirty, sync_rollup_table
from tui.core.ingest.rules import (
    check_classes,
    show_value,
)
from tui.core.ingest.snapshot import Snapshot, private_folder, require_present, take_snapshot
from tui.core.ingest.trees import DataFile, folder_files, pattern_files, single_file
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.sqlparts import (
    columns,
    ident,
    predictions_table,
    predictions_union,
    raw,
    sql_type,
)

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
    # How many data files were read: 1 for a file, more for a folder, tree or pattern.
    files: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        scores = dict.fromkeys(class_score_columns(model), "DOUBLE")
        for name, kind in {**model_columns(model), **scores}.items():
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


def stage_reference(
    con: duckdb.DuckDBPyConnection, model_name: str, model: Model, shape: FileShape, now: datetime
) -> int:
    """Stage a reference dataset (a baseline file in the predictions contract, with an
    optional ``label`` column) in the temporary ``stage`` table, every row checked as
    a predictions file's are; raise InputError naming the file, the row and the column
    of the first bad value. Returns the number of rows."""
    plan = make_plan("predictions", model_name, model, shape, now, reference=True)
    _stage(con, shape, plan)
    summary = fetch_rows(con, "stage_check_predictions")[0]
    refusal = refuse_bad_rows(con, shape, plan, summary)
    if refusal is not None:
        raise refusal
    check_classes(con, shape, plan.expressions, "predictions", model_name, model)
    if "label" in shape.columns:
        check_classes(con, shape, plan.expressions, "labels", model_name, model)
    rows = int(summary["n"])
    if rows == 0:
        raise InputError(f"{shape.path}: the file has a header but no rows")
    return rows


def _stage(con: duckdb.DuckDBPyConnection, shape: FileShape, plan: Plan) -> None:
    fragments = shape.reader_fragments(select_list=plan.select_list)
    try:
        with every_value_read(con):
            execute(con, shape.reader_query(stage=True), shape.reader_params(), **fragments)
    except duckdb.Error as exc:
        raise reader_error(shape, exc) from None


def _merge_predictions(
    con: duckdb.DuckDBPyConnection, model_name: str, plan: Plan, ingest_id: int, rows: int
) -> tuple[int, int, int]:
    table = predictions_table(model_name)
    stage_cols = columns(plan.stage_columns, prefix="s.")
    overlap = int(fetch_rows(con, "predictions_overlap", table=table)[0]["n"])
    params = {"ingest_id": ingest_id}
    if overlap == 0:
        execute(con, "predictions_insert_all", params, table=table, stage_columns=stage_cols)
        _fill_label_times(con, model_name)
        return rows, 0, 0
    differs = " OR ".join(f"s.{ident(c)} IS DISTINCT FROM p.{ident(c)}" for c in plan.stage_columns)
    execute(con, "predictions_mark_changed", table=table, differs=raw(differs))
    changed = fetch_rows(con, "predictions_changed_count")[0]
    replaced = int(changed["n"])
    execute(con, "predictions_delete_changed", table=table)
    execute(con, "predictions_insert_new", params, table=table, stage_columns=stage_cols)
    # A replaced prediction may have moved in time: its labels follow it.
    _fill_label_times(con, model_name, changed["lo"], changed["hi"], moved=replaced > 0)
    added = rows - overlap
    return added, replaced, overlap - replaced


def _fill_label_times(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    lo: datetime | None = None,
    hi: datetime | None = None,
    moved: bool = False,
) -> None:
    """Give the labels of the staged predictions their prediction's time: the labels that
    came first (NULL time) and, when predictions were replaced, those whose old time lies
    in [lo, hi]. Keeps the invariant every label join relies on: a label whose
    prediction is stored carries that prediction's ts."""
    execute(
        con,
        "labels_fill_times",
        {"model": model_name, "lo": lo, "hi": hi},
        moved=raw("OR l.pred_ts BETWEEN $lo AND $hi" if moved else ""),
    )


def _merge_labels(
    con: duckdb.DuckDBPyConnection, model_name: str, ingest_id: int, now: datetime
) -> tuple[int, int, int]:
    # One read of the predictions gives each staged label its prediction's time; every
    # statement below reads only the stored labels within the staged span of times (a
    # stored label of the same prediction carries the same time, or NULL for both).
    ids = fetch_rows(con, "labels_stage_ids")[0]
    execute(con, "labels_stage_times", ids, table=predictions_table(model_name))
    span = fetch_rows(con, "labels_stage_span")[0]
    bound = "l.pred_ts BETWEEN $lo AND $hi" + (" OR l.pred_ts IS NULL" if span["orphans"] else "")
    times = {"model": model_name, "lo": span["lo"], "hi": span["hi"]}
    counts = fetch_rows(con, "labels_merge_counts", times, bound=raw(f"({bound})"))[0]
    params = {**times, "now": now, "ingest_id": ingest_id}
    if counts["replaced"]:
        execute(con, "labels_record_replaced", params, bound=raw(f"({bound})"))
        execute(con, "labels_apply_replaced", params, bound=raw(f"({bound})"))
    if counts["added"] and not counts["replaced"] and not counts["unchanged"]:
        # No staged label has a stored one: all are new, no anti-join needed.
        execute(con, "labels_insert_all", {k: params[k] for k in ("model", "now", "ingest_id")})
    elif counts["added"]:
        execute(con, "labels_insert_new", params, bound=raw(f"({bound})"))
    return int(counts["added"]), int(counts["replaced"]), int(counts["unchanged"])


@dataclass(frozen=True)
class _Part:
    """One data file of an ingest and the SHA-256 and size of its private snapshot."""

    file: DataFile
    copy: Path
    sha256: str
    size: int


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
    """Ingest one file, or every data file of a folder or Hive-partitioned tree, in one
    transaction; raise InputError and write nothing on bad input."""
    settings.model(model_name)
    require_present(path)
    if path.is_dir():
        root, files, single = path, folder_files(path, fmt), False
    else:
        root, files, single = path.parent, [single_file(path, fmt)], True
    return _ingest_files(
        store,
        settings,
        kind,
        model_name,
        str(path),
        root,
        files,
        single=single,
        actor=actor,
        now=now,
        force=force,
        progress=progress,
    )


def ingest_pattern(
    store: Store,
    settings: Settings,
    kind: Kind,
    model_name: str,
    pattern: str,
    *,
    actor: str,
    now: datetime,
    fmt: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest every data file a pattern such as ``preds/dt=*/*.parquet`` names as one
    atomic ingest. The pattern is matched by our own walk of its fixed leading folder
    (never handed to DuckDB); InputError when it matches nothing."""
    settings.model(model_name)
    root, files = pattern_files(pattern, fmt)
    return _ingest_files(
        store,
        settings,
        kind,
        model_name,
        pattern,
        root,
        files,
        single=False,
        actor=actor,
        now=now,
        force=force,
        progress=progress,
    )


def _tree_digest(root: Path, parts: list[_Part]) -> str:
    """What a multi-file ingest's content is: each file's place and bytes. The same
    tree again has the same digest, so it is recognised as ingested without a read."""
    digest = hashlib.sha256(b"oncall-tree-v1\n")
    for part in parts:
        place = part.file.path.relative_to(root).as_posix()
        digest.update(f"{place}\t{part.file.partition!r}\t{part.sha256}\n".encode())
    return digest.hexdigest()


def _ingest_files(
    store: Store,
    settings: Settings,
    kind: Kind,
    model_name: str,
    label: str,
    root: Path,
    files: list[DataFile],
    *,
    single: bool,
    actor: str,
    now: datetime,
    force: bool,
    progress: Progress | None,
) -> IngestResult:
    model = settings.model(model_name)
    started = time.perf_counter()
    step = progress or (lambda _msg: None)
    folder = private_folder(store.path.parent)
    snapshots: list[Snapshot] = []
    try:
        parts: list[_Part] = []
        for data in files:
            step(f"hashing {data.path.name}")
            # One snapshot per file, hashed as it is copied, is both what the log names
            # and what is read; all are taken before the store is locked.
            snap = take_snapshot(data.path, folder, snapshot_suffix(data.format, data.compression))
            snapshots.append(snap)
            parts.append(_Part(data, snap.copy, snap.sha256, snap.size))
        digest = parts[0].sha256 if single else _tree_digest(root, parts)
        return _ingest_snapshot(
            store,
            settings,
            kind,
            model_name,
            model,
            label,
            parts,
            digest,
            single=single,
            actor=actor,
            now=now,
            force=force,
            step=step,
            started=started,
        )
    finally:
        for snap in snapshots:
            snap.discard()


def _refuse_repeat(
    con: duckdb.DuckDBPyConnection, shape: FileShape, parts: list[_Part]
) -> InputError | None:
    """The error for an id of the staged file that an earlier file of the same
    multi-file ingest holds too, or None."""
    rows = fetch_rows(con, "stage_seen_repeat")
    if not rows:
        return None
    dup = str(rows[0]["prediction_id"])
    earlier = parts[int(rows[0]["part"])].file.path
    src = shape.columns["prediction_id"]
    probe = raw(f"CAST({src.ref} AS VARCHAR) AS raw_value")
    fragments = shape.reader_fragments(probe_list=probe, condition=raw("true"))
    found = fetch_rows(
        con, shape.reader_query(stage=False), shape.reader_params(needle=dup), **fragments
    )
    where = shape.line_of(int(found[0]["row_no"])) if found else "a row"
    return InputError(
        f"{shape.path}: {where}: column 'prediction_id': {show_value(dup)} is also in "
        f"{earlier}; ids must be unique across the files of one ingest; nothing was written"
    )


def _ingest_snapshot(
    store: Store,
    settings: Settings,
    kind: Kind,
    model_name: str,
    model: Model,
    label: str,
    parts: list[_Part],
    digest: str,
    *,
    single: bool,
    actor: str,
    now: datetime,
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
                    label,
                    model_name,
                    kind,
                    rows,
                    0,
                    0,
                    rows,
                    round(time.perf_counter() - started, 3),
                    digest,
                    already_ingested=True,
                    files=len(parts),
                )
        sync_columns(con, settings)
        # Hive partition keys become columns only where the contract reads that column.
        wanted = {SOURCE.get(t.name, t.name) for t in targets_of(kind, model)}
        # A prediction id twice in one delivery is a writer's bug (a retried task's
        # output kept twice); a label twice is a correction: a later file's label
        # replaces an earlier one's by the usual rule (its labeled_at is not older).
        repeats = not single and kind == "predictions"
        if repeats:
            execute(con, "stage_seen_create")
        # Each file is checked and merged in turn inside the one transaction: an error in
        # any file rolls every earlier one back, and a later file's checks (a binary
        # model's second class) see the earlier files' rows.
        ingest_id: int | None = None
        rows = added = replaced = unchanged = 0
        min_ts: Any = None
        max_ts: Any = None
        findings: dict[tuple[str, str], str] = {}
        for index, part in enumerate(parts):
            data = part.file
            if part.size == 0 and not single:
                continue  # writers leave empty part files; they hold no rows
            step(f"reading {data.path.name}")
            shape = inspect_file(
                con,
                data.path,
                data.format,
                read_path=part.copy,
                compression=data.compression,
                partition=data.partition_values,
                wanted=wanted,
            )
            plan = make_plan(kind, model_name, model, shape, now, settings.config.ingest)
            _stage(con, shape, plan)
            step(f"checking {data.path.name}")
            summary = fetch_rows(con, f"stage_check_{kind}")[0]
            refusal = refuse_bad_rows(con, shape, plan, summary)
            if refusal is None and repeats:
                refusal = _refuse_repeat(con, shape, parts)
            if refusal is not None:
                raise refusal
            check_classes(con, shape, plan.expressions, kind, model_name, model)
            n = int(summary["n"])
            if n == 0:
                if single:
                    raise InputError(
                        f"{data.path}: the file has a header but no rows; nothing was written"
                    )
                continue
            if repeats:
                execute(con, "stage_seen_add", {"part": index})
            if ingest_id is None:
                ingest_id = int(fetch_rows(con, "ingest_next_id")[0]["ingest_id"])
            step(f"writing {n:,} rows of {data.path.name}")
            if kind == "predictions":
                counts = _merge_predictions(con, model_name, plan, ingest_id, n)
            else:
                counts = _merge_labels(con, model_name, ingest_id, now)
            rows += n
            added, replaced, unchanged = (
                added + counts[0],
                replaced + counts[1],
                unchanged + counts[2],
            )
            # A file of new rows only is added to the rollups; any other marks days dirty.
            mark_dirty(con, model_name, kind, model, only_new=counts[1] == counts[2] == 0)
            execute(con, "stage_drop")
            if summary["min_ts"] is not None:
                min_ts = summary["min_ts"] if min_ts is None else min(min_ts, summary["min_ts"])
                max_ts = summary["max_ts"] if max_ts is None else max(max_ts, summary["max_ts"])
            for column, finding, detail in plan.findings:
                findings.setdefault((column, finding), detail)
        execute(con, "stage_drop")
        if repeats:
            execute(con, "stage_seen_drop")
        if ingest_id is None:
            raise InputError(f"{label}: the files hold no rows; nothing was written")
        for (column, finding), detail in findings.items():
            execute(
                con,
                "schema_finding_insert",
                {
                    "ingest_id": ingest_id,
                    "model": model_name,
                    "path": label,
                    "column_name": column,
                    "finding": finding,
                    "detail": detail,
                    "min_ts": min_ts,
                    "max_ts": max_ts,
                    "found_at": now,
                },
            )
        seconds = round(time.perf_counter() - started, 3)
        execute(
            con,
            "ingest_log_insert",
            {
                "ingest_id": ingest_id,
                "model": model_name,
                "kind": kind,
                "path": label,
                "sha256": digest,
                "rows_in_file": rows,
                "rows_added": added,
                "rows_replaced": replaced,
                "rows_unchanged": unchanged,
                "min_ts": min_ts,
                "max_ts": max_ts,
                "ingested_at": now,
                "seconds": seconds,
                "actor": actor,
            },
        )
    found = list(findings.items())
    return IngestResult(
        label,
        model_name,
        kind,
        rows,
        added,
        replaced,
        unchanged,
        seconds,
        digest,
        schema_findings=[{"column": c, "finding": f, "detail": d} for (c, f), d in found],
        files=len(parts),
    )
