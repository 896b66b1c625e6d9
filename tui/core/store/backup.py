"""`oncall backup` and `oncall restore`: a consistent copy, and putting one back.

A backup holds a read connection (writers wait, readers go on) while it copies the
store and its WAL byte for byte into a private folder beside FILE, then folds the
WAL into the copy, checks it opens as a store and only then links it in as FILE. A
process killed at any point leaves at most that hidden folder, never a partial FILE.
Restore checks FILE is a store, keeps the current store aside as .before-restore and
renames a private copy of FILE into place while holding the store for writing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tui.core.errors import InputError, StoreDamaged, StoreUnavailable
from tui.core.store import ids
from tui.core.store.connection import Store, configure, store_failure
from tui.core.store.files import PRIVATE, Marks, private_files, read_marks, wal_path, write_marks
from tui.core.store.queries import migrations
from tui.core.store.sql import fetch_rows


@dataclass(frozen=True)
class StoreFacts:
    """What a store file holds, in brief."""

    path: Path
    schema_version: int
    bugs: int
    alerts: int
    size: int

    def text(self) -> str:
        return f"{self.path} ({self.bugs} bugs, {self.alerts} alerts, {self.size:,} bytes)"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "schema_version": self.schema_version,
            "bugs": self.bugs,
            "alerts": self.alerts,
            "size": self.size,
        }


def facts_of(con: duckdb.DuckDBPyConnection, path: Path) -> StoreFacts:
    """The facts of an open store; InputError when it is not an oncall store."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "schema_migrations" not in tables:
        raise InputError(f"{path}: not an oncall store (no schema_migrations)")
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    version = int(row[0]) if row else 0
    counts = fetch_rows(con, "store_facts")[0] if {"bugs", "alerts"} <= tables else {}
    return StoreFacts(
        path,
        version,
        int(counts.get("bugs", 0)),
        int(counts.get("alerts", 0)),
        path.stat().st_size,
    )


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _settle(copy: Path) -> StoreFacts:
    """Open a copy read-write so its WAL is folded in, check it is a store."""
    try:
        con = duckdb.connect(str(copy))
    except duckdb.Error:
        raise InputError(f"{copy}: not a DuckDB file, or a damaged one") from None
    try:
        configure(con, copy)
        facts = facts_of(con, copy)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    wal_path(copy).unlink(missing_ok=True)
    os.chmod(copy, PRIVATE)
    with open(copy, "rb+") as handle:
        os.fsync(handle.fileno())
    return facts


def backup(store: Store, dest: Path, *, force: bool = False) -> StoreFacts:
    """Write a consistent copy of the store to `dest` (0600), atomically."""
    if not store.path.is_file():
        raise StoreUnavailable(f"{store.path}: there is no store here")
    if dest.exists() and not force:
        raise InputError(f"{dest} exists; nothing was written", field="force") from None
    if dest.resolve() == store.path.resolve():
        raise InputError(f"{dest} is the store itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with private_files():
            work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
            try:
                copy = work / "store.duckdb"
                with store.read():
                    shutil.copyfile(store.path, copy)
                    if wal_path(store.path).exists():
                        shutil.copyfile(wal_path(store.path), wal_path(copy))
                facts = _settle(copy)
                if force:
                    os.replace(copy, dest)
                else:
                    try:
                        os.link(copy, dest)
                    except FileExistsError:
                        raise InputError(
                            f"{dest} exists; nothing was written", field="force"
                        ) from None
                _fsync_dir(dest.parent)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    except OSError as exc:
        failure = store_failure(dest, exc)
        assert failure is not None
        raise failure from None
    return StoreFacts(dest, facts.schema_version, facts.bugs, facts.alerts, dest.stat().st_size)


def inspect(source: Path) -> StoreFacts:
    """The facts of a would-be backup; InputError when it is not a usable store."""
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error:
        raise InputError(f"{source}: not a DuckDB file, or a damaged one") from None
    try:
        configure(con, source)
        facts = facts_of(con, source)
    finally:
        con.close()
    if facts.schema_version > len(migrations()):
        raise InputError(f"{source}: written by a newer oncall (schema {facts.schema_version})")
    return facts


def aside_path(store_path: Path) -> Path:
    """Where restore keeps the current store: STORE.before-restore, or a dated name."""
    aside = store_path.with_name(store_path.name + ".before-restore")
    if aside.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = store_path.with_name(f"{store_path.name}.before-restore-{stamp}")
    return aside


@dataclass(frozen=True)
class Restored:
    """What restore did."""

    restored: StoreFacts
    kept_aside: Path | None

    def to_json(self) -> dict[str, Any]:
        return {
            "restored": self.restored.to_json(),
            "kept_aside": str(self.kept_aside) if self.kept_aside else None,
        }


def restore(store: Store, source: Path) -> Restored:
    """Put the backup `source` in place of the store, keeping the current one aside."""
    inspect(source)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    with private_files():
        work = Path(tempfile.mkdtemp(prefix=f".{store.path.name}.restore-", dir=store.path.parent))
        try:
            copy = work / "store.duckdb"
            shutil.copyfile(source, copy)
            if wal_path(source).exists():
                shutil.copyfile(wal_path(source), wal_path(copy))
            facts = _settle(copy)
            return _swap(store, copy, facts)
        except OSError as exc:
            failure = store_failure(store.path, exc)
            assert failure is not None
            raise failure from None
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _swap(store: Store, copy: Path, facts: StoreFacts) -> Restored:
    """Rename `copy` into place while holding the store for writing (when it opens)."""
    con: duckdb.DuckDBPyConnection | None = None
    aside: Path | None = None
    if store.path.exists():
        try:
            con = store._connect(read_only=False)
            con.execute("CHECKPOINT")
        except StoreDamaged:
            con = None  # nobody can use it either: replace it as it is
        except duckdb.Error as exc:
            if con is not None:
                con.close()
            con = None
            if store_failure(store.path, exc) is None:
                raise
    try:
        if store.path.exists():
            aside = aside_path(store.path)
            os.link(store.path, aside)
            if wal_path(store.path).exists():
                os.replace(wal_path(store.path), wal_path(aside))
        old = read_marks(store.path) or Marks()
        new = duckdb.connect(str(copy), read_only=True)
        try:
            configure(new, copy)
            seqs = ids.sequences(new)
            changes = ids.changes(new)
        finally:
            new.close()
        merged = {k: max(v, old.sequences.get(k, 0)) for k, v in {**old.sequences, **seqs}.items()}
        os.replace(copy, store.path)
        write_marks(store.path, Marks(changes, merged, []))
        _fsync_dir(store.path.parent)
    finally:
        if con is not None:
            con.close()
    restored = StoreFacts(
        store.path, facts.schema_version, facts.bugs, facts.alerts, store.path.stat().st_size
    )
    return Restored(restored, aside)
