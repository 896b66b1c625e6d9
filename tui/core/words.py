"""Shared words: how both faces write times, numbers, percentages, intervals and slices,
so the command line and the app say the same thing the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


def when(value: datetime | None) -> str:
    """A timestamp as `MM-DD HH:MM` (UTC), or an empty string."""
    return value.strftime("%m-%d %H:%M") if value else ""


def num(value: float | None, digits: int = 3) -> str:
    """A number compactly, or `—` for an undefined value."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def pct(value: float | None) -> str:
    """A fraction as a percentage, or `—`."""
    return "—" if value is None else f"{100 * value:.0f}%"


def interval(ci: Sequence[float] | None, digits: int = 2) -> str:
    """A confidence interval as `[0.71, 0.78]`, or empty when there is none."""
    return "" if not ci else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def slice_pairs(slice_: Mapping[str, Any] | None) -> list[str]:
    """A slice as `KEY=VALUE` filters, keys sorted: `['region=EU', 'tier=pro']`."""
    return [f"{k}={v}" for k, v in sorted((slice_ or {}).items())]


def slice_text(slice_: Mapping[str, Any] | None) -> str:
    """`region=EU,tier=pro`, or empty for the whole model."""
    return ",".join(slice_pairs(slice_))


def what(feature: str | None, slice_: Mapping[str, Any] | None) -> str:
    """What an alert is about: its feature and slice, `amount region=EU`."""
    return " ".join(x for x in (feature, slice_text(slice_)) if x)
