"""`oncall doctor`: is the store whole, and what to do when it is not.

It only reads: the store opens (a damaged one raises StoreDamaged, exit 74), its WAL
replays, the schema is current, the append-only histories match their hash chain,
every row points at something that exists, no commit was lost (the marks kept
outside the store, :mod:`tui.core.store.files`), the outbox parses, and the files
are private.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tui.core.errors import StoreUnavailable
from tui.core.store import chain, ids
from tui.core.store.connection import Store, store_failure
from tui.core.store.files import marks_path, outbox_path_for, read_marks, wal_path
from tui.core.store.queries import migrations
from tui.core.store.sql import fetch_rows


@dataclass(frozen=True)
class Finding:
    """One thing the doctor saw: a problem (with what to do) or a note."""

    check: str  # opens | wal | schema | chain | orphans | ids | outbox | files
    problem: bool
    text: str
    todo: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "problem": self.problem, "text": self.text, "todo": self.todo}


@dataclass
class Report:
    """Everything the doctor found."""

    store: Path
    schema_version: int = 0
    expected_version: int = 0
    events_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not any(f.problem for f in self.findings)

    def add(self, check: str, text: str, todo: str = "", *, problem: bool = True) -> None:
        self.findings.append(Finding(check, problem, text, todo))

    def to_json(self) -> dict[str, Any]:
        return {
            "store": str(self.store),
            "healthy": self.healthy,
            "schema_version": self.schema_version,
            "expected_version": self.expected_version,
            "events_checked": self.events_checked,
            "findings": [f.to_json() for f in self.findings],
        }


RESTORE_TODO = "put a backup back (restore), or re-enter what is missing"


def examine(store: Store) -> Report:
    """Check the store without changing it."""
    report = Report(store.path, expected_version=len(migrations()))
    if not store.path.is_file():
        raise StoreUnavailable(f"{store.path}: there is no store here")
    wal = wal_path(store.path)
    wal_size = wal.stat().st_size if wal.exists() else None
    con = store._connect(read_only=True)
    try:
        _examine(con, report)
    except duckdb.Error as exc:
        failure = store_failure(store.path, exc)
        if failure is not None:
            raise failure from None
        report.add("opens", "the store could not be read through", RESTORE_TODO)
    finally:
        con.close()
    if wal_size is not None:
        report.add(
            "wal",
            f"a write-ahead log of {wal_size:,} bytes was left by a writer that did not "
            "finish; it replayed",
            problem=False,
        )
    _check_outbox(store.path, report)
    _check_files(store.path, report)
    return report


def _examine(con: duckdb.DuckDBPyConnection, report: Report) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "schema_migrations" not in tables:
        report.add("schema", "this is a DuckDB file but not an oncall store", RESTORE_TODO)
        return
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    report.schema_version = int(row[0]) if row else 0
    if report.schema_version > report.expected_version:
        report.add(
            "schema",
            f"the store is at schema {report.schema_version}, newer than this oncall "
            f"({report.expected_version})",
            "use the newer oncall that wrote it",
        )
        return
    if report.schema_version < report.expected_version:
        report.add(
            "schema",
            f"the store is at schema {report.schema_version}; the next write brings it "
            f"to {report.expected_version}",
            problem=False,
        )
        return
    breaks, report.events_checked = chain.verify(con)
    for b in breaks:
        report.add(
            "chain",
            f"broken chain: {b.text()}",
            "the history was rewritten outside oncall; compare with a backup",
        )
    for r in fetch_rows(con, "doctor_orphans"):
        report.add(
            "orphans",
            f"{r['n']} {r['kind']}{'s' if r['n'] != 1 else ''} (e.g. {r['example']})",
            "rows were deleted outside oncall, or commits were lost; compare with a backup",
        )
    _check_ids(con, report)


def _check_ids(con: duckdb.DuckDBPyConnection, report: Report) -> None:
    current = ids.sequences(con)
    for name, high in ids.id_highs(con).items():
        if high > current.get(name, 0):
            report.add(
                "ids",
                f"ids of {name} up to {high} are in use but the sequence is at "
                f"{current.get(name, 0)}",
                "the next write moves it past them",
            )
    marks = read_marks(report.store)
    if marks is None:
        return
    lost = marks.changes - ids.changes(con)
    if lost > 0:
        report.add(
            "wal",
            f"{lost} committed write{'s' if lost != 1 else ''} missing: the store is behind "
            "what it held before (its write-ahead log was cut short or lost)",
            RESTORE_TODO + "; new ids skip the lost ones",
        )
    for name, marked in sorted(marks.sequences.items()):
        if marked > current.get(name, 0):
            report.add(
                "ids",
                f"{name}: ids {current.get(name, 0) + 1}..{marked} were handed out but are "
                "not in the store",
                "they will not be reused; " + RESTORE_TODO,
            )
    for loss in marks.losses:
        report.add(
            "wal",
            f"at {loss.get('noticed_at')} a write found {loss.get('commits_lost', 0)} earlier "
            f"commit(s) missing; skipped ids {loss.get('ids_skipped', {})}",
            RESTORE_TODO,
        )


def _check_outbox(store_path: Path, report: Report) -> None:
    path = outbox_path_for(store_path)
    if not path.exists():
        return
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError):
        report.add("outbox", f"{path}: cannot be read", "check its owner and mode")
        return
    bad = 0
    for line in lines:
        try:
            if not isinstance(json.loads(line), dict):
                bad += 1
        except ValueError:
            bad += 1
    if bad:
        report.add(
            "outbox",
            f"{path}: {bad} of {len(lines)} waiting actions cannot be read",
            "they will not be applied; move the file aside after noting them",
        )
    if lines:
        report.add(
            "outbox",
            f"{len(lines) - bad} actions wait in the outbox (applied ones linger until flushed)",
            problem=False,
        )


def _check_files(store_path: Path, report: Report) -> None:
    for path in (store_path, wal_path(store_path), outbox_path_for(store_path)):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o007:
            report.add(
                "files",
                f"{path} can be read by anyone on this machine (mode {mode:o})",
                f"chmod 600 {path}",
            )
    if not marks_path(store_path).exists():
        report.add("ids", "no id marks yet: they are written by the next change", problem=False)
