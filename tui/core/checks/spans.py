"""Spans: which windows of a kind are due, from its watermark up to now.

A window is a fixed duration (counted from DuckDB's time_bucket origin) or whole
calendar months (``1mo``: [the 1st 00:00 UTC, the next 1st)). Queries bucket a span of
months by day (``bucket_seconds``) and each day is summed into its month
(``window_of``): a month has no fixed length for time_bucket to step by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.config.times import (
    Months,
    Period,
    period_floor,
    period_next,
)

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """The windows of one step to evaluate: [start, end) in steps of ``step``;
    ``remaining`` more were due but left for the next run."""

    start: datetime
    end: datetime
    step: Period
    remaining: int = 0

    def windows(self) -> list[datetime]:
        out, w = [], self.start
        while w < self.end:
            out.append(w)
            w = period_next(w, self.step)
        return out

    def end_of(self, window: datetime) -> datetime:
        """The end of the window that starts at ``window``."""
        return period_next(window, self.step)

    def window_of(self, bucket: datetime) -> datetime:
        """The window a query's bucket (of ``bucket_seconds``) belongs to."""
        return self.step.floor(bucket) if isinstance(self.step, Months) else bucket

    def label(self, window: datetime) -> dict[str, str]:
        """Detail naming a window of months (``{"period": "2026-11"}``); none for a
        window of fixed length, whose start and end say it."""
        return {"period": self.step.label(window)} if isinstance(self.step, Months) else {}

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    @property
    def bucket(self) -> timedelta:
        """The step queries bucket rows by: the window itself, or a day for months
        (summed into months by ``window_of``)."""
        return DAY if isinstance(self.step, Months) else self.step

    @property
    def bucket_seconds(self) -> int:
        return int(self.bucket.total_seconds())

    @property
    def step_seconds(self) -> int:
        """The query bucket in seconds (see ``bucket``)."""
        return self.bucket_seconds


def count_windows(start: datetime, end: datetime, step: Period) -> int:
    """How many whole windows of ``step`` lie in [start, end) (both on window starts)."""
    if end <= start:
        return 0
    if isinstance(step, Months):
        months = (end.year - start.year) * 12 + end.month - start.month
        return months // step.count
    return (end - start) // step


def advance(start: datetime, n: int, step: Period) -> datetime:
    """``start`` moved on (or back, n < 0) by ``n`` windows of ``step``."""
    if isinstance(step, Months):
        moved = Months(step.count * abs(n))
        return moved.after(start) if n >= 0 else moved.before(start)
    return start + n * step


def due_span(
    kind: str,
    step: Period,
    first_ts: datetime,
    watermarks: dict[str, datetime],
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    lag: timedelta = timedelta(0),
    horizon: timedelta | None = None,
    max_windows: int | None = None,
) -> Span:
    """The due windows of a kind: after its watermark (or the first data), complete by now,
    plus the windows within ``horizon`` that are judged again as late labels arrive.

    At most ``max_windows`` of them: a run that is behind takes the earliest new windows
    and says how many remain (the next run goes on from its watermark); one that is
    caught up takes the newest, re-judging as much of the horizon as fits. Either way
    each run moves the watermark on, so running again always ends."""
    end = period_floor(now - lag, step)
    if until is not None:
        ceiling = period_floor(until, step)
        end = min(end, ceiling if ceiling == until else period_next(ceiling, step))
    first = period_floor(first_ts, step)
    if since is not None:
        fresh = start = period_floor(since, step)
    else:
        fresh = start = max(watermarks.get(kind, first), first)
        if horizon is not None:
            start = max(min(start, period_floor(now - horizon, step)), first)
    if max_windows is not None and count_windows(start, end, step) > max_windows:
        new = count_windows(fresh, end, step)
        if new >= max_windows:
            return Span(fresh, advance(fresh, max_windows, step), step, new - max_windows)
        return Span(advance(end, -max_windows, step), end, step)
    return Span(start, end, step)
