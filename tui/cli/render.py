"""Rendering helpers shared by commands: compact times, numbers and slices for tables."""

from __future__ import annotations

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


def slice_text(slice_: dict[str, Any] | None) -> str:
    """`region=EU,tier=pro`, or empty for the whole model."""
    return ",".join(f"{k}={v}" for k, v in sorted((slice_ or {}).items()))
