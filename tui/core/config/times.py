"""Durations (``30m``, ``2h``, ``3d``), timestamps and the current time ("now")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """Parse ``30s``, ``30m``, ``2h``, ``3d`` or ``1w`` into a timedelta; raise ValueError."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a duration such as 30m, 2h, 3d or 1w, got {text!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        raise ValueError(f"a duration must be positive, got {text!r}")
    return timedelta(seconds=amount * _UNITS[unit])


def format_duration(delta: timedelta) -> str:
    """The shortest exact form of ``delta`` in the units parse_duration reads."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_timestamp(text: str | datetime | date) -> datetime:
    """Parse an ISO timestamp or date into a naive UTC datetime; raise ValueError.

    The store keeps naive timestamps that mean UTC; an offset in the text is honoured.
    """
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        value = datetime(text.year, text.month, text.day)
    else:
        raw = text.strip()
        if raw.endswith(("Z", "z")):
            raw = raw[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                f"expected a timestamp such as 2026-11-20T14:00 or 2026-11-20, got {text!r}"
            ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


# DuckDB's time_bucket counts intervals from Monday 2000-01-03; windows in Python
# use the same origin so both agree for any step.
BUCKET_ORIGIN = datetime(2000, 1, 3)


def floor_time(moment: datetime, step: timedelta) -> datetime:
    """Round ``moment`` down to a whole number of ``step`` since the bucket origin."""
    epoch = BUCKET_ORIGIN
    seconds = int((moment - epoch).total_seconds())
    size = int(step.total_seconds())
    return epoch + timedelta(seconds=seconds - seconds % size)


def ceil_time(moment: datetime, step: timedelta) -> datetime:
    """Round ``moment`` up to a whole number of ``step`` since the bucket origin."""
    floored = floor_time(moment, step)
    return floored if floored == moment else floored + step


@dataclass(frozen=True)
class Clock:
    """What "now" is for a session: fixed at a moment (`--now`, `$ONCALL_NOW`, a replay)
    or the wall clock. Parsed once, when the session starts, not on every call."""

    fixed: datetime | None = None

    @classmethod
    def from_text(cls, text: str | datetime | None = None) -> Clock:
        """`text` if given, else `$ONCALL_NOW`, else the wall clock; ValueError if the
        text is not a time."""
        if text is None:
            text = os.environ.get("ONCALL_NOW") or None
        return cls(None if text is None else parse_timestamp(text))

    @classmethod
    def at(cls, moment: datetime) -> Clock:
        """A clock stopped at `moment`."""
        return cls(moment)

    def now(self) -> datetime:
        """The current time as naive UTC."""
        if self.fixed is not None:
            return self.fixed
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
