"""The OS login of whoever runs the tool, and its record beside every event.

The actor (`--as NAME`) says who acts; the login says whose account the process runs
under. Every alert and bug event keeps both: the login in an append-only side table
keyed by the event (sealed like the events themselves), since the events' seal
references every one of their columns.
"""

from __future__ import annotations

import getpass
from typing import Literal

import duckdb

from tui.core.store.connection import execute

EventKind = Literal["alert", "bug"]


def os_login() -> str:
    """The login name the process runs under, or "unknown" when the OS cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def record_login(con: duckdb.DuckDBPyConnection, kind: EventKind, event_id: int) -> None:
    """Record (and seal) the OS login beside the ``kind`` event ``event_id``."""
    params = {"kind": kind, "event_id": event_id, "login": os_login()}
    execute(con, "event_login_insert", params)
    execute(con, "event_login_seal", {"kind": kind, "event_id": event_id})
