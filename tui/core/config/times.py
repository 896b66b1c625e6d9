"""Durations (``30m``, ``2h``, ``3d``), timestamps and the current time ("now")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tui.core.errors import UsageError

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
# Calendar months (`1mo`): not a fixed length, so never a timedelta.
_MONTHS = re.compile(r"^\s*(\d+)\s*mo\s*$")
MAX_MONTHS = 120
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

# The longest duration anything takes (a window, a snooze, a delay): ten years. Beyond
# it a duration is a typo, and adding it to a time would overflow.
MAX_DURATION = timedelta(days=3650)

# "Now" must fall in these years: a clock outside them is a typo, and checking up to
# it would mean evaluating millions of windows.
MIN_NOW_YEAR, MAX_NOW_YEAR = 1970, 2200


class CalendarMonths(ValueError):
    """A duration in calendar months (``1mo``) where only a fixed length will do."""

    def __init__(self, text: str, months: int) -> None:
        super().__init__(
            f"{text.strip()!r} is in calendar months, which have no fixed length; "
            "use days or weeks here (30d, 4w)"
        )
        self.months = months


@dataclass(frozen=True)
class Months:
    """A span of whole calendar months (``1mo``): no fixed length, so never a
    timedelta; a month back from 31 March is 28 (or 29) February."""

    count: int

    def before(self, moment: datetime) -> datetime:
        """``moment`` moved back by these months."""
        return add_months(moment, -self.count)

    def after(self, moment: datetime) -> datetime:
        """``moment`` moved on by these months."""
        return add_months(moment, self.count)

    def floor(self, moment: datetime) -> datetime:
        """The start of the window of these months that holds ``moment``: midnight UTC
        on the first of a month, whole windows counted from January 2000 (DuckDB's
        origin for month buckets), so ``1mo`` windows are calendar months and ``3mo``
        ones calendar quarters."""
        index = (moment.year - 2000) * 12 + moment.month - 1
        index -= index % self.count
        year, month = divmod(index, 12)
        return datetime(2000 + year, month + 1, 1)

    def label(self, start: datetime) -> str:
        """How a window starting at ``start`` is named: ``2026-11`` for a month,
        ``2026-10..2026-12`` for longer windows."""
        if self.count == 1:
            return f"{start:%Y-%m}"
        return f"{start:%Y-%m}..{add_months(start, self.count - 1):%Y-%m}"

    def __str__(self) -> str:
        return f"{self.count}mo"


# The length of a check window: a fixed duration or whole calendar months.
Period = timedelta | Months

# The longest a window of months can be, where only a bound is needed (how long after
# an incident its alert can be seen; how far back to read).
MONTH_AT_MOST = timedelta(days=31)


def period_next(start: datetime, period: Period) -> datetime:
    """The end of the window of ``period`` that starts at ``start``."""
    return period.after(start) if isinstance(period, Months) else start + period


def period_floor(moment: datetime, period: Period) -> datetime:
    """The start of the window of ``period`` that holds ``moment``."""
    return period.floor(moment) if isinstance(period, Months) else floor_time(moment, period)


def period_longest(period: Period) -> timedelta:
    """The most a window of ``period`` lasts (31 days a month)."""
    return period.count * MONTH_AT_MOST if isinstance(period, Months) else period


def period_text(period: Period) -> str:
    """``period`` as the config writes it: ``1mo``, ``7d``, ``1h``."""
    return str(period) if isinstance(period, Months) else format_duration(period)


def parse_months(text: object) -> int | None:
    """The number of calendar months ``1mo``…``120mo`` names; None when ``text`` is
    not written in months; ValueError for 0mo or more than ten years."""
    match = _MONTHS.match(text) if isinstance(text, str) else None
    if not match:
        return None
    digits = match.group(1).lstrip("0")
    if not digits:
        raise ValueError(f"a duration must be positive, got {text!r}")
    if len(digits) > 4 or int(digits) > MAX_MONTHS:
        raise ValueError(f"duration too long: at most {MAX_MONTHS}mo (ten years), got {text!r}")
    return int(digits)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months (negative: back), the day of the month
    kept where the target month has it and clamped to its last day otherwise."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def floor_month(moment: datetime) -> datetime:
    """The start of ``moment``'s calendar month (UTC midnight on the first)."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def trailing_start(until: datetime, text: str | timedelta | Months) -> datetime:
    """The start of a trailing span ``text`` long that ends at ``until``: ``7d`` goes
    back 7 days, ``1mo`` one calendar month (to the same day of the month, clamped);
    ValueError when ``text`` is neither."""
    if isinstance(text, Months):
        return text.before(until)
    if isinstance(text, timedelta):
        return until - text
    months = parse_months(text)
    if months is not None:
        return add_months(until, -months)
    return until - parse_duration(text)


def parse_duration(text: str) -> timedelta:
    """Parse ``30s``, ``30m``, ``2h``, ``3d`` or ``1w`` into a timedelta; raise ValueError
    (CalendarMonths for ``1mo``: a month has no fixed length)."""
    months = parse_months(text)
    if months is not None:
        raise CalendarMonths(text, months)
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a duration such as 30m, 2h, 3d or 1w, got {text!r}")
    digits, unit = match.group(1).lstrip("0"), match.group(2)
    if not digits:
        raise ValueError(f"a duration must be positive, got {text!r}")
    # Compare the digits before converting, so that no number is too big to convert.
    if len(digits) > 12 or int(digits) * _UNITS[unit] > MAX_DURATION.total_seconds():
        raise ValueError(f"duration too long: at most 3650d (ten years), got {text.strip()!r}")
    return timedelta(seconds=int(digits) * _UNITS[unit])


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


_RELATIVE = re.compile(r"^\s*([+-])\s*(\d+\s*(?:mo|[smhdw]))\s*$")
_DAY_WORD = re.compile(r"^\s*(today|yesterday|tomorrow)(?:\s+(\d{1,2}):(\d{2}))?\s*$", re.I)
_DAY_OFFSET = {"today": 0, "yesterday": -1, "tomorrow": 1}


def parse_now(text: str, wall: datetime) -> datetime:
    """A "now" as a person writes it, as naive UTC: an ISO time or date, ``now``,
    an offset from the wall clock (``-2h``, ``+30m``, ``-3d``, ``-1mo``: a calendar
    month) or a day word with an
    optional time (``yesterday 09:00``, ``today``: midnight UTC); ValueError else."""
    raw = text.strip()
    if raw.lower() == "now":
        return wall
    relative = _RELATIVE.match(raw)
    if relative:
        months = parse_months(relative.group(2))
        if months is not None:
            # A month back from the 31st of March is the 28th (or 29th) of February.
            return add_months(wall, -months if relative.group(1) == "-" else months)
        delta = parse_duration(relative.group(2))
        return wall - delta if relative.group(1) == "-" else wall + delta
    day = _DAY_WORD.match(raw)
    if day:
        hour, minute = int(day.group(2) or 0), int(day.group(3) or 0)
        if hour > 23 or minute > 59:
            raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day, in {text!r}")
        midnight = wall.replace(hour=0, minute=0, second=0)
        offset = timedelta(days=_DAY_OFFSET[day.group(1).lower()])
        return midnight + offset + timedelta(hours=hour, minutes=minute)
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise ValueError(
            f"expected a time such as 2026-11-20T14:00, 2026-11-20, -2h or "
            f"'yesterday 09:00', got {text!r}"
        ) from None


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


class BadNow(UsageError, ValueError):
    """`--now` or `$ONCALL_NOW` is not a time, or not a believable one."""


def check_now(moment: datetime, source: str = "--now") -> datetime:
    """``moment`` if it lies in the years a clock may say; BadNow otherwise."""
    if moment.year < MIN_NOW_YEAR:
        raise BadNow(f"{source} is before the year {MIN_NOW_YEAR}: {moment:%Y-%m-%d}")
    if moment.year >= MAX_NOW_YEAR:
        raise BadNow(f"{source} is beyond the year {MAX_NOW_YEAR}: {moment:%Y-%m-%d}")
    return moment


@dataclass(frozen=True)
class Clock:
    """What "now" is for a session: fixed at a moment (`--now`, `$ONCALL_NOW`, a replay)
    or the wall clock. Parsed once, when the session starts, not on every call."""

    fixed: datetime | None = None

    @classmethod
    def from_text(cls, text: str | datetime | None = None) -> Clock:
        """`text` if given, else `$ONCALL_NOW`, else the wall clock; BadNow (a
        ValueError) if the text is not a time or not one between 1970 and 2200."""
        source = "--now"
        if text is None:
            text = os.environ.get("ONCALL_NOW") or None
            source = "$ONCALL_NOW"
        if text is None:
            return cls(None)
        if isinstance(text, datetime):
            return cls(check_now(parse_timestamp(text), source))
        wall = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        try:
            moment = parse_now(text, wall)
        except ValueError as exc:
            raise BadNow(f"{source}: {exc}") from None
        return cls(check_now(moment, source))

    @classmethod
    def at(cls, moment: datetime) -> Clock:
        """A clock stopped at `moment`."""
        return cls(moment)

    def now(self) -> datetime:
        """The current time as naive UTC."""
        if self.fixed is not None:
            return self.fixed
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
