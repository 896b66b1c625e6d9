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
    """The due windows of a kind: after its watermark (or the first data), complete by now;
    at most ``max_windows`` of them, the earliest, with the count of the rest."""
    end = floor_time(now - lag, step)
    if until is not None:
        end = min(end, ceil_time(until, step))
    if since is not None:
        start = floor_time(since, step)
    else:
        start = watermarks.get(kind, floor_time(first_ts, step))
        if horizon is not None:
            start = min(start, floor_time(now - horizon, step))
        start = max(start, floor_time(first_ts, step))
    if max_windows is not None and start < end:
        due = (end - start) // step
        if due > max_windows:
            return Span(start, start + max_windows * step, step, due - max_windows)
    return Span(start, end, step)
