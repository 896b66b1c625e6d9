"""Shifts: who is on call (primary) and who shadows, from when to when.

Alerts, actions and bug events are not stamped with a shift; they fall into the shift
whose time span holds them, which is how the handoff report gathers a shift's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.core.config.settings import Settings
from tui.core.errors import NotFoundError, UsageError
from tui.core.store.connection import Store, execute, fetch_rows

ROLES = ("primary", "shadow")


class NoSuchShift(NotFoundError):
    """No shift has this id (each face says where the ids are listed)."""

    def __init__(self, shift_id: int) -> None:
        super().__init__(f"no shift with id {shift_id}")
        self.shift_id = shift_id


class NoShiftYet(NotFoundError):
    """No primary shift has started by the time asked about."""

    def __init__(self) -> None:
        super().__init__("no primary shift has started yet")


@dataclass(frozen=True)
class Shift:
    """A shift: who was on call (primary) or shadowed, from when to when."""

    id: int
    engineer: str
    role: str
    primary_of: int | None  # a shadow's primary shift
    started_at: datetime
    ended_at: datetime | None  # None while the shift is open
    source: str  # live, or scenario (a demo's or a drill's past shift)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Shift:
        """A `shifts` row (`shifts_all`, and what `list_shifts` returns) as a record."""
        primary_of = row["primary_of"]
        return cls(
            id=int(row["shift_id"]),
            engineer=row["engineer"],
            role=row["role"],
            primary_of=None if primary_of is None else int(primary_of),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            source=row["source"],
        )

    @property
    def open(self) -> bool:
        """Not ended yet."""
        return self.ended_at is None

    def to_json(self) -> dict[str, Any]:
        """The shift as scripts see it (`oncall shift list --json`): `id`, and the same
        number as `shift_id`, which older scripts read."""
        return {
            "id": self.id,
            "shift_id": self.id,
            "engineer": self.engineer,
            "role": self.role,
            "primary_of": self.primary_of,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "source": self.source,
        }


def start_shift(
    store: Store, settings: Settings, actor: str, now: datetime, role: str = "primary"
) -> int:
    """Start the actor's shift; a shadow joins the open primary shift. A trainee can only
    shadow."""
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, got {role!r}", field="role")
    if role == "primary" and settings.role_of(actor) == "trainee":
        raise UsageError(f"{actor} is a trainee: their shift can only be a shadow", field="role")
    with store.write() as con:
        if fetch_rows(con, "shift_open_of", {"engineer": actor}):
            raise UsageError(f"{actor} already has an open shift; end it first")
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


def list_shifts(store: Store) -> list[Shift]:
    """Every shift, newest first."""
    with store.read() as con:
        return [Shift.from_row(r) for r in fetch_rows(con, "shifts_all")]


def current_shifts(store: Store) -> list[Shift]:
    """The open shifts."""
    return [s for s in list_shifts(store) if s.open]


def shift_of(store: Store, shift_id: int | None, now: datetime) -> Shift:
    """A shift by id, or the current primary shift, or the last primary one."""
    shifts = list_shifts(store)
    if shift_id is not None:
        for s in shifts:
            if s.id == shift_id:
                return s
        raise NoSuchShift(shift_id)
    primaries = [s for s in shifts if s.role == "primary" and s.started_at <= now]
    if not primaries:
        raise NoShiftYet()
    return primaries[0]


def shadows_of(store: Store, shift: Shift) -> list[str]:
    """Who shadowed a primary shift."""
    return [s.engineer for s in list_shifts(store) if s.primary_of == shift.id]
