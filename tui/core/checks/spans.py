"""Spans: which windows of a kind are due, from its watermark up to now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.config.times import ceil_time, floor_time


@dataclass(frozen=True)
class Span:
    """The windows of one step to evaluate: [start, end) in steps of ``step``;
    ``remaining`` more were due but left for the next run."""

    start: datetime
    end: datetime
    step: timedelta
    remaining: int = 0

    def windows(self) -> list[datetime]:
        out, w = [], self.start
        while w < self.end:
            out.append(w)
            w += self.step
        return out

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    @property
    def step_seconds(self) -> int:
        return int(self.step.total_seconds())


def due_span(
    kind: str,
    step: timedelta,
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
    end = floor_time(now - lag, step)
    if until is not None:
        end = min(end, ceil_time(until, step))
    first = floor_time(first_ts, step)
    if since is not None:
        fresh = start = floor_time(since, step)
    else:
        fresh = start = max(watermarks.get(kind, first), first)
        if horizon is not None:
            start = max(min(start, floor_time(now - horizon, step)), first)
    if max_windows is not None and start < end and (end - start) // step > max_windows:
        new = max((end - fresh) // step, 0)
        if new >= max_windows:
            return Span(fresh, fresh + max_windows * step, step, new - max_windows)
        return Span(end - max_windows * step, end, step)
    return Span(start, end, step)
