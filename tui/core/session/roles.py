"""Who may change state: trainees and anyone in a shadow shift may not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from tui.core.config.settings import Settings
from tui.core.errors import NotAllowedError
from tui.core.store.connection import Store, fetch_rows


def require_can_change(settings: Settings, actor: str) -> None:
    """Refuse a state change by a trainee, in core, whatever face asked for it."""
    if settings.role_of(actor) == "trainee":
        raise NotAllowedError(
            f"{actor} is a trainee and cannot change alerts or bugs; "
            "shadow the primary with `oncall shadow follow` instead"
        )


def refuse_shadow(con: duckdb.DuckDBPyConnection, actor: str) -> None:
    """Refuse a state change by someone whose open shift is a shadow shift."""
    rows = fetch_rows(con, "shift_open_of", {"engineer": actor})
    if rows and rows[0]["role"] == "shadow":
        raise NotAllowedError(
            f"{actor} is shadowing (shift {rows[0]['shift_id']}) and cannot change alerts or "
            "bugs; record your call with `oncall shadow call` instead"
        )


@contextmanager
def changing(store: Store, settings: Settings, actor: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The write transaction of a change to alert or bug state: refused, before anything
    is written, for a trainee or for someone in a shadow shift."""
    require_can_change(settings, actor)
    with store.write() as con:
        refuse_shadow(con, actor)
        yield con
