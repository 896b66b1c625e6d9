"""`oncall sync`: a lake model's daily aggregates computed on its engine for the days
whose data changed, and written into the store's rollup tables in one transaction.

What changed is read from the files: each Parquet file's modification time and size are
recorded at a sync, with the days its predictions span (from the footer's `ts`
statistics); a new, rewritten or removed predictions file re-syncs the days it spans
(spanned). Every day is re-synced the first time, when the model's slices or task
changed, when a labels file changed (a label may belong to any earlier day), when a
changed predictions file's days are unknown, and for a table or remote source (no file
times to compare). The engine runs before the store is opened for writing: a failed job
writes nothing, and the store is not held while Spark works.

The store then holds, for a lake model, its rollups and label-delay histograms and an
empty predictions table with its slice columns: every reader that works from whole days
of rollups (slices, labels delay) works as for a local model; the raw-row edges of a
window find no rows (the CLI widens a lake model's windows to whole days).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui.core.config.lake import LakeSource, resolve_location
from tui.core.config.settings import Model, Settings
from tui.core.ingest.rollups import day_runs, delays_table, rollups_table, slice_types
from tui.core.ingest.rollups import sync_rollup_table as make_rollup_tables
from tui.core.lake.aggregates import Engine, LakeError, aggregates
from tui.core.lake.duck import DuckDBEngine
from tui.core.lake.files import LakeFile, list_files
from tui.core.lake.spark import SparkEngine  # imports pyspark only when it starts a session
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw, sql_type

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

# The span a full sync asks the engine for: every prediction a lake can hold.
EVERYTHING = (datetime(1900, 1, 1), datetime(2200, 1, 1))
Progress = Callable[[str], None]


@dataclass
class SyncResult:
    """What one model's sync did (the JSON of `oncall sync`)."""

    model: str
    engine: str
    days: int = 0
    rows: int = 0
    delay_rows: int = 0
    full: bool = False
    files: int = 0
    seconds: float = 0.0
    engine_seconds: float = 0.0
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The fields of the JSON output (stable: added to, never renamed)."""
        return {
            "model": self.model,
            "engine": self.engine,
            "days": self.days,
            "rows": self.rows,
            "delay_rows": self.delay_rows,
            "full": self.full,
            "files": self.files,
            "seconds": round(self.seconds, 3),
            "engine_seconds": round(self.engine_seconds, 3),
            "reason": self.reason,
        }


@dataclass
class Plan:
    """Which days to recompute: `runs` of [lo, hi) (EVERYTHING when `full`)."""

    full: bool
    runs: list[tuple[datetime, datetime]] = field(default_factory=list)
    reason: str = ""


def lake_models(settings: Settings) -> list[str]:
    """The names of the models declared with a lake `source`, in config order."""
    return [name for name, m in settings.config.models.items() if m.source is not None]


def shape_of(model: Model) -> str:
    """What the aggregates depend on in the config: a change recomputes every day."""
    return json.dumps({"task": model.task, "slices": slice_types(model)}, sort_keys=True)


def listing(settings: Settings, name: str, source: LakeSource) -> dict[str, list[LakeFile] | None]:
    """The files of each side of the source (None for a table or a remote URL)."""
    where = f"models.{name}.source"
    return {
        kind: list_files(
            resolve_location(getattr(source, kind), settings.path),
            f"{where}.{kind}",
            required=kind == "predictions",
        )
        for kind in ("predictions", "labels")
    }


def plan(
    con: duckdb.DuckDBPyConnection,
    name: str,
    model: Model,
    files: dict[str, list[LakeFile] | None],
) -> Plan:
    """The days to recompute, from the files recorded at the last sync."""
    state = fetch_rows(con, "lake_state_get", {"model": name})
    if not state:
        return Plan(True, reason="first sync")
    if state[0]["shape"] != shape_of(model):
        return Plan(True, reason="the model's slices or task changed")
    if any(v is None for v in files.values()):
        return Plan(True, reason="a table or remote source (no file times to compare)")
    before = {
        (str(r["kind"]), str(r["path"])): LakeFile(
            str(r["path"]),
            int(r["mtime_ns"]),
            int(r["size"]),
            r["rows"],
            r["first_day"],
            r["last_day"],
        )
        for r in fetch_rows(con, "lake_files_of", {"model": name})
    }
    now = {(k, f.path): f for k, fs in files.items() for f in fs or []}

    def stamp(f: LakeFile | None) -> tuple[int, int] | None:
        return None if f is None else (f.mtime_ns, f.size)

    changed = {k for k in before.keys() | now.keys() if stamp(before.get(k)) != stamp(now.get(k))}
    if any(kind == "labels" for kind, _ in changed):
        return Plan(True, reason="labels changed")
    days: set[datetime] = set()
    for key in changed:
        # The days the file spans now and the days it spanned at the last sync.
        for f in (now.get(key), before.get(key)):
            if f is None:
                continue
            spanned = f.days()
            if spanned is None:
                return Plan(True, reason="a changed predictions file's days are unknown")
            days.update(spanned)
    return Plan(False, day_runs(sorted(days)), reason="changed partitions" if days else "")


def open_engine(settings: Settings, name: str, source: LakeSource, files: Any) -> Engine:
    """The model's engine, its views over the model's predictions and labels ready."""
    where = f"models.{name}.source"
    if source.engine == "duckdb":
        return DuckDBEngine(
            [f.path for f in files["predictions"]], [f.path for f in files["labels"]], where
        )
    no_labels = files["labels"] == []  # listed, and empty
    return SparkEngine(
        source.master,
        resolve_location(source.predictions, settings.path),
        None if no_labels else resolve_location(source.labels, settings.path),
        where,
    )


def compute(engine: Engine, model: Model, runs: list[tuple[datetime, datetime]]) -> dict[str, Any]:
    """Each aggregate's rows over the runs of days, concatenated."""
    import pyarrow as pa

    found: dict[str, list[pa.Table]] = {"rollups": [], "delays": []}
    for lo, hi in runs:
        for kind, aggregate in aggregates(model, lo, hi).items():
            found[kind].append(engine.run(aggregate))
    return {k: pa.concat_tables(v, promote_options="permissive") for k, v in found.items() if v}


def _empty_predictions(con: duckdb.DuckDBPyConnection, name: str, model: Model) -> None:
    # An empty predictions table with the slice columns: readers find the model stored
    # and its raw edges hold no rows (a lake model's rows stay in the lake).
    table = predictions_table(name)
    execute(con, "predictions_create_table", table=table)
    for column, kind in slice_types(model).items():
        execute(
            con,
            "predictions_add_column",
            table=table,
            column=Fragment(ident(column)),
            column_type=raw(sql_type(kind)),
        )


def write(
    con: duckdb.DuckDBPyConnection,
    name: str,
    model: Model,
    todo: Plan,
    rows: dict[str, pa.Table],
    files: dict[str, list[LakeFile] | None],
    now: datetime,
) -> None:
    """Replace the planned days of the model's aggregates with `rows` and record the
    files read (inside the caller's one write transaction)."""
    _empty_predictions(con, name, model)
    make_rollup_tables(con, name, model)
    tables = {"rollups": rollups_table(name), "delays": delays_table(name)}
    for kind, table in tables.items():
        for lo, hi in [EVERYTHING] if todo.full else todo.runs:
            execute(con, "lake_store_delete", {"lo": lo, "hi": hi}, table=table)
        if kind in rows and rows[kind].num_rows:
            con.register("lake_rows", rows[kind])
            try:
                execute(con, "lake_store_insert", table=table)
            finally:
                con.unregister("lake_rows")
    execute(con, "lake_files_clear", {"model": name})
    for kind, found in files.items():
        for f in found or []:
            execute(
                con,
                "lake_files_insert",
                {
                    "model": name,
                    "kind": kind,
                    "path": f.path,
                    "mtime_ns": f.mtime_ns,
                    "size": f.size,
                    "rows": f.rows,
                    "first_day": f.first_day,
                    "last_day": f.last_day,
                },
            )
    execute(con, "lake_state_put", {"model": name, "shape": shape_of(model), "synced_at": now})


def sync_model(
    store: Store, settings: Settings, name: str, now: datetime, say: Progress | None = None
) -> SyncResult:
    """Sync one lake model: plan the days, compute them on its engine, write them in one
    transaction. A LakeError (nothing written) when the source or engine fails."""
    started = time.perf_counter()
    model = settings.model(name)
    source = model.source
    if source is None:
        raise LakeError(f"model {name} has no `source:`; it is ingested, not synced")
    tell = say or (lambda _m: None)
    tell(f"{name}: listing files")
    files = listing(settings, name, source)
    with store.read() as con:
        todo = plan(con, name, model, files)
    result = SyncResult(name, source.engine, full=todo.full, reason=todo.reason)
    result.files = sum(len(v or []) for v in files.values())
    if not todo.full and not todo.runs:
        result.seconds = time.perf_counter() - started
        return result
    tell(f"{name}: starting {source.engine}")
    engine = open_engine(settings, name, source, files)
    try:
        tell(f"{name}: aggregating on {source.engine}")
        begun = time.perf_counter()
        rows = compute(engine, model, [EVERYTHING] if todo.full else todo.runs)
        result.engine_seconds = time.perf_counter() - begun
    finally:
        engine.close()
    tell(f"{name}: writing the store")
    with store.write() as con:
        write(con, name, model, todo, rows, files, now)
    rollups = rows.get("rollups")
    result.rows = 0 if rollups is None else rollups.num_rows
    result.delay_rows = 0 if "delays" not in rows else rows["delays"].num_rows
    result.days = len(set(rollups.column("day").to_pylist())) if rollups is not None else 0
    if not todo.full:
        result.days = sum((hi - lo) // timedelta(days=1) for lo, hi in todo.runs)
    result.seconds = time.perf_counter() - started
    return result
