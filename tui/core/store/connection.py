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

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tui.core.errors import QueryCancelled, StoreBusyError, StoreError
from tui.core.store.queries import migrations, query
from tui.core.store.sqlparts import Fragment

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

Params = Mapping[str, Any]


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
                    raise StoreError(f"{self.path}: cannot open the store: {exc}") from None
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
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                "SET memory_limit = $limit",
                {"limit": os.environ.get("ONCALL_MEMORY_LIMIT", MEMORY_LIMIT)},
            )
            return con

    def ensure(self) -> None:
        """Create the store or bring its schema up to date (once per Store object)."""
        if self._ready:
            return
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
        con = duckdb.connect(str(temp))
        try:
            _migrate(con)
        finally:
            con.close()
        try:
            os.link(temp, self.path)
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one unit of work, closed afterwards."""
        self.ensure()
        con = self._connect(read_only=True)
        with self._guard:
            self._reading.add(con)
        try:
            yield con
        except duckdb.InterruptException as exc:
            raise QueryCancelled("the query was cancelled") from exc
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc
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
        con = self._connect(read_only=False)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                execute(con, "store_bump_changes")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except duckdb.Error as exc:
            raise StoreError(f"write failed, nothing was changed: {exc}") from exc
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


def _prepare(
    name: str, params: Params, fragments: dict[str, Fragment]
) -> tuple[str, dict[str, Any]]:
    """The filled SQL and the parameters it uses; every declared one must be supplied."""
    q = query(name)
    missing = set(q.params) - set(params)
    extra = set(params) - set(q.params)
    if missing or extra:
        raise StoreError(
            f"query {name}: parameters missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    text = q.sql(**fragments)
    used = q.used_params(text)
    return text, {k: v for k, v in params.items() if k in used}


def execute(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params | None = None,
    **fragments: Fragment,
) -> None:
    """Run a named statement with bound parameters."""
    text, bound = _prepare(name, params or {}, fragments)
    # DuckDB 2 refuses the next statement until a result is read to the end.
    con.execute(text, bound or None).fetchall()


def fetch(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params | None = None,
    **fragments: Fragment,
) -> pl.DataFrame:
    """Run a named query with bound parameters and return its rows as a polars DataFrame."""
    text, bound = _prepare(name, params or {}, fragments)
    frame: pl.DataFrame = con.sql(text, params=bound or None).pl()
    return frame


def fetch_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params | None = None,
    **fragments: Fragment,
) -> list[dict[str, Any]]:
    """Like :func:`fetch`, as a list of dicts (for small results)."""
    text, bound = _prepare(name, params or {}, fragments)
    cursor = con.execute(text, bound or None)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
