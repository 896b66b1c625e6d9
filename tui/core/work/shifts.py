"""Shifts: who is on call (primary) and who shadows, from when to when.

Alerts, actions and bug events are not stamped with a shift; they fall into the shift
whose time span holds them, which is how the handoff report gathers a shift's work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.core.config.settings import Settings
from tui.core.errors import NotFoundError, UsageError
from tui.core.store.connection import Store, execute, fetch_rows

ROLES = ("primary", "shadow")


def start_shift(
    store: Store, settings: Settings, actor: str, now: datetime, role: str = "primary"
) -> int:
    """Start the actor's shift; a shadow joins the open primary shift. A trainee can only
    shadow."""
    if role not in ROLES:
        raise UsageError(f"--role must be one of {', '.join(ROLES)}")
    if role == "primary" and settings.role_of(actor) == "trainee":
        raise UsageError(f"{actor} is a trainee: start a shadow shift (--role shadow)")
    with store.write() as con:
        if fetch_rows(con, "shift_open_of", {"engineer": actor}):
            raise UsageError(f"{actor} already has an open shift; `oncall shift end` first")
        primary = fetch_rows(con, "shift_open_primary")
        if role == "primary" and primary:
            other = primary[0]
            raise UsageError(
                f"{other['engineer']} is primary since "
                f"{other['started_at']:%Y-%m-%d %H:%M}; they end their shift first"
            )
        primary_of = int(primary[0]["shift_id"]) if role == "shadow" and primary else None
        return int(
            fetch_rows(
                con,
                "history_shift_insert",
                {
                    "engineer": actor,
                    "role": role,
                    "primary_of": primary_of,
                    "started_at": now,
                    "ended_at": None,
                    "source": "live",
                },
            )[0]["shift_id"]
        )


def end_shift(store: Store, actor: str, now: datetime) -> int:
    """End the actor's open shift; return its id."""
    with store.write() as con:
        rows = fetch_rows(con, "shift_open_of", {"engineer": actor})
        if not rows:
            raise UsageError(f"{actor} has no open shift")
        shift_id = int(rows[0]["shift_id"])
        execute(con, "shift_end", {"shift_id": shift_id, "at": now})
        return shift_id


def list_shifts(store: Store) -> list[dict[str, Any]]:
    """Every shift, newest first."""
    with store.read() as con:
        return fetch_rows(con, "shifts_all")


def current_shifts(store: Store) -> list[dict[str, Any]]:
    """The open shifts."""
    return [s for s in list_shifts(store) if s["ended_at"] is None]


def shift_of(store: Store, shift_id: int | None, now: datetime) -> dict[str, Any]:
    """A shift by id, or the current primary shift, or the last primary one."""
    shifts = list_shifts(store)
    if shift_id is not None:
        for s in shifts:
            if s["shift_id"] == shift_id:
                return s
        raise NotFoundError(f"no shift with id {shift_id}; `oncall shift list` lists them")
    primaries = [s for s in shifts if s["role"] == "primary" and s["started_at"] <= now]
    if not primaries:
        raise NotFoundError("no shift yet; `oncall shift start` begins one")
    return primaries[0]


def shadows_of(store: Store, shift: dict[str, Any]) -> list[str]:
    """Who shadowed a primary shift."""
    return [s["engineer"] for s in list_shifts(store) if s["primary_of"] == shift["shift_id"]]
