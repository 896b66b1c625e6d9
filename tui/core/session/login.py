"""The OS login of whoever runs the tool, and its record beside every event.

The actor (`--as NAME`) says who acts; the login says whose account the process runs
under. Every alert and bug event keeps both: the login in an append-only side table
keyed by the event (sealed like the events themselves), since the events' seal
references every one of their columns.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

import duckdb

from tui.core.store.connection import execute

EventKind = Literal["alert", "bug"]


# Set while an outbox action is replayed: the login of whoever queued it, not of the
# process that happens to drain the outbox.
_acting_login: ContextVar[str | None] = ContextVar("acting_login", default=None)


def os_login() -> str:
    """The login the current action is taken under: the process's login name (or
    "unknown" when the OS cannot say), or while a queued action is replayed, the login
    of whoever queued it."""
    replayed = _acting_login.get()
    if replayed:
        return replayed
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@contextmanager
def acting_as_login(login: str) -> Iterator[None]:
    """Within the block, `os_login()` is ``login`` (an empty one changes nothing)."""
    token = _acting_login.set(login or None)
    try:
        yield
    finally:
        _acting_login.reset(token)


def record_login(con: duckdb.DuckDBPyConnection, kind: EventKind, event_id: int) -> None:
    """Record (and seal) the OS login beside the ``kind`` event ``event_id``."""
    params = {"kind": kind, "event_id": event_id, "login": os_login()}
    execute(con, "event_login_insert", params)
    execute(con, "event_login_seal", {"kind": kind, "event_id": event_id})
