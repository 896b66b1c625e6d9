"""The DuckDB store: a connection per unit of work, lock retry, one transaction per write.

DuckDB lets one process at a time hold a database file for writing, and a writer
blocks every reader in other processes. So nothing keeps a connection open while
idle: each unit of work opens, works and closes. Only the lock error is retried,
with jittered exponential backoff, until a deadline; then StoreBusyError names the
holder. A write is exactly one transaction that is rolled back and re-raised on any
error (after a failed statement DuckDB's COMMIT reports success but rolls back, so
a commit is never attempted after an error). Every write bumps a change counter
that readers poll to know whether anything moved.
"""

from __future__ import annotations

import errno
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tui.core.errors import (
    OncallError,
    QueryCancelled,
    StoreBusyError,
    StoreDamaged,
    StoreError,
    StoreUnavailable,
)
from tui.core.store import chain, ids
from tui.core.store.files import PRIVATE, private_files
from tui.core.store.queries import migrations
from tui.core.store.sql import Params as Params
from tui.core.store.sql import execute as execute
from tui.core.store.sql import fetch as fetch
from tui.core.store.sql import fetch_rows as fetch_rows

_LOCK_MARK = "Could not set lock on file"
# Within one process DuckDB shares a database between connections of the same
# configuration: a read-only and a read-write connection of two threads must take
# turns, like two processes do.
_IN_PROCESS_MARK = "different configuration than existing connections"
_PID = re.compile(r"PID (\d+)")

CLI_WRITE_TIMEOUT = 60.0
APP_TIMEOUT = 3.0
# DuckDB may otherwise take 80% of the machine for one query; past this it spills to
# disk. `$ONCALL_MEMORY_LIMIT` overrides it (a DuckDB size such as 2GB).
MEMORY_LIMIT = "800MB"

_DAMAGE_MARKS = ("corrupt", "not a valid duckdb database", "checksum", "serializ", "malformed")
_FULL_MARKS = ("no space left", "disk is full", "quota exceeded")


def memory_limit() -> str:
    """The memory limit every connection gets: `$ONCALL_MEMORY_LIMIT` or MEMORY_LIMIT."""
    return os.environ.get("ONCALL_MEMORY_LIMIT") or MEMORY_LIMIT


def spill_path(store: Path) -> Path:
    """The folder a query over `store` spills to when it needs more than the memory
    limit: beside the store, in its own folder. DuckDB creates it when it first spills
    and removes it on close (only when it created it: a folder that was there before is
    left alone), and names its files per process, so processes never share one."""
    return store.with_name(store.name + ".tmp")


def configure(con: duckdb.DuckDBPyConnection, store: Path) -> None:
    """The settings every connection to a store runs with: UTC, no progress bar (DuckDB
    would draw one on the terminal during a long query, over our own output), the
    memory limit, and spilling beside the store rather than failing past the limit."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET memory_limit = $limit", {"limit": memory_limit()})
    con.execute("SET temp_directory = $dir", {"dir": str(spill_path(store))})


def error_log_path(store: Path) -> Path:
    """Where the store's unexpected query failures are written in full, beside it."""
    return store.with_name(store.name + ".errors.log")


def query_failure(path: Path, exc: duckdb.Error, doing: str) -> OncallError:
    """The user's error for a store operation that failed: the store's own condition
    (damaged, full, unreadable) when it is that, else a StoreError saying what failed.
    DuckDB's text (a query, a binder error) never reaches the user: it goes to the
    error log beside the store, which the message names, for a bug report."""
    failure = store_failure(path, exc)
    if failure is not None:
        return failure
    log = error_log_path(path)
    try:
        with private_files(), log.open("a", encoding="utf-8") as out:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            out.write(f"{stamp} pid {os.getpid()} {doing}: {type(exc).__name__}: {exc}\n")
    except OSError:
        return StoreError(f"{doing} failed inside oncall (a bug; the details could not be kept)")
    return StoreError(f"{doing} failed inside oncall (a bug); the details are in {log}")


def store_failure(path: Path, exc: BaseException) -> OncallError | None:
    """The user's error for a store that cannot be read or written (exit 74): damaged,
    on a full disk, or unreadable; None for any other failure. Never DuckDB's text."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StoreUnavailable(f"{path}: the disk is full; nothing was changed")
        return StoreUnavailable(
            f"{path}: the store cannot be read or written ({exc.strerror or 'I/O error'})"
        )
    if not isinstance(exc, duckdb.Error) or is_lock_error(exc):
        return None
    text = str(exc).lower()
    if any(mark in text for mark in _FULL_MARKS):
        return StoreUnavailable(f"{path}: the disk is full; nothing was changed")
    if "permission denied" in text:
        return StoreUnavailable(f"{path}: the store cannot be read or written (permission denied)")
    if isinstance(exc, duckdb.SerializationException) or any(m in text for m in _DAMAGE_MARKS):
        return StoreDamaged(f"{path}: the store is damaged or is not an oncall store")
    if isinstance(exc, duckdb.IOException):
        return StoreUnavailable(f"{path}: the store cannot be read or written")
    return None


def _lock_holder(exc: BaseException) -> int | None:
    if _IN_PROCESS_MARK in str(exc):
        return os.getpid()
    match = _PID.search(str(exc))
    return int(match.group(1)) if match else None


def is_lock_error(exc: BaseException) -> bool:
    """True for "someone else holds the file" (another process, or another thread of this
    one with the other access mode): the only errors that are retried."""
    text = str(exc)
    return (isinstance(exc, duckdb.IOException) and _LOCK_MARK in text) or (
        isinstance(exc, duckdb.Error) and _IN_PROCESS_MARK in text
    )


@dataclass
class Store:
    """Access to one store file; cheap to create, holds no connection."""

    path: Path
    timeout: float = CLI_WRITE_TIMEOUT
    on_wait: Callable[[int | None, float], None] | None = None
    _ready: bool = field(default=False, repr=False)
    # Open read connections, so a reader can be interrupted from another thread.
    _reading: set[duckdb.DuckDBPyConnection] = field(default_factory=set, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    failure = store_failure(self.path, exc)
                    if failure is None:
                        failure = StoreDamaged(
                            f"{self.path}: the store cannot be opened; it may be damaged"
                        )
                    raise failure from None
                holder = _lock_holder(exc)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    who = f"held by PID {holder}" if holder else "held by another process"
                    raise StoreBusyError(
                        f"store busy: {who} ({self.path}); waited {self.timeout:g} s",
                        holder_pid=holder,
                    ) from None
                if self.on_wait is not None:
                    self.on_wait(holder, remaining)
                time.sleep(min(remaining, delay * random.uniform(0.5, 1.5)))
                delay = min(delay * 2, 1.0)
                continue
            configure(con, self.path)
            return con

    def ensure(self) -> None:
        """Create the store or bring its schema up to date (once per Store object)."""
        if self._ready:
            return
        try:
            self._ensure()
        except OSError as exc:
            failure = store_failure(self.path, exc)
            assert failure is not None
            raise failure from None

    def _open_reader(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a store whose schema is current. The first read of
        a Store checks the schema on its own connection rather than on one more: each
        connect costs a quick command a noticeable part of its time."""
        if not self._ready and self.path.is_file():
            con = self._connect(read_only=True)
            try:
                current = _schema_version(con)
            except BaseException:
                con.close()
                raise
            if current >= len(migrations()):
                self._ready = True
                return con
            con.close()
        self.ensure()
        return self._connect(read_only=True)

    def _ensure(self) -> None:
        if self.path.is_dir():
            raise StoreUnavailable(f"{self.path}: is a folder, not a store")
        if self.path.exists():
            con = self._connect(read_only=True)
            try:
                current = _schema_version(con)
            finally:
                con.close()
            if current >= len(migrations()):
                self._ready = True
                return
        else:
            self._create()
            self._ready = True
            return
        with private_files():
            con = self._connect(read_only=False)
            try:
                _migrate(con)
            finally:
                con.close()
        self._ready = True

    def _create(self) -> None:
        """Create the store under a temporary name, migrate it, then link it into place.

        A process killed while DuckDB writes a new file's header leaves a file DuckDB
        cannot open; building it aside means the real path only ever holds a whole store.
        `os.link` refuses to replace an existing file, so two creators cannot clobber
        each other: the loser drops its copy and uses the winner's.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.new-{os.getpid()}")
        temp.unlink(missing_ok=True)
        with private_files():
            con = duckdb.connect(str(temp))
            try:
                configure(con, temp)
                _migrate(con)
                # The new file must hold everything: its WAL stays behind under the temp name.
                con.execute("CHECKPOINT")
            finally:
                con.close()
        os.chmod(temp, PRIVATE)
        try:
            os.link(temp, self.path)
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one unit of work, closed afterwards."""
        con = self._open_reader()
        with self._guard:
            self._reading.add(con)
        try:
            yield con
        except duckdb.InterruptException as exc:
            raise QueryCancelled("the query was cancelled") from exc
        except duckdb.Error as exc:
            raise query_failure(self.path, exc, "a query") from exc
        finally:
            with self._guard:
                self._reading.discard(con)
            con.close()

    def interrupt(self) -> int:
        """Interrupt every read running on this store (from any thread); writes are left
        alone, since interrupting one would roll back a person's action."""
        with self._guard:
            running = list(self._reading)
        for con in running:
            con.interrupt()
        return len(running)

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection holding exactly one transaction.

        Commits and bumps the change counter when the block ends normally; rolls
        back and re-raises on any exception.
        """
        self.ensure()
        with private_files():
            con = self._connect(read_only=False)
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    losses = ids.guard(con, self.path)
                    yield con
                    chain.extend(con)
                    execute(con, "store_bump_changes")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                ids.record(con, self.path, losses)
            except duckdb.Error as exc:
                raise query_failure(self.path, exc, "a write (nothing was changed)") from exc
            finally:
                con.close()

    def changes(self) -> int:
        """The change counter: it moves whenever anything is written."""
        with self.read() as con:
            return int(fetch(con, "store_changes").item(0, "changes"))


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()
    if not found or found[0][0] == 0:
        return 0
    rows = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    return int(rows[0][0])


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every pending migration in one transaction and record the versions."""
    con.execute("BEGIN TRANSACTION")
    try:
        current = _schema_version(con)
        for version, name, sql in migrations():
            if version <= current:
                continue
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) "
                "VALUES ($v, $n, now()::TIMESTAMP)",
                {"v": version, "n": name},
            )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
