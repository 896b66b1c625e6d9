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


def facts(detail: Mapping[str, Any], limit: int = 6) -> str:
    """A result's detail as a person reads it: `key value` pairs, numbers rounded,
    fractions of a share as percentages, lists shortened, times as `MM-DD HH:MM`;
    `{"share": 0.7608, "rows": 1234}` → `share 76.1%, rows 1,234`."""
    parts = []
    for key, value in detail.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        parts.append(f"{key.replace('_', ' ')} {_fact(key, value, limit)}")
    return ", ".join(parts)


def _fact(key: str, value: Any, limit: int) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if any(w in key for w in ("share", "rate", "fraction", "coverage")) and 0 <= value <= 1:
            return f"{100 * value:.1f}%"
        return num(value)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value)) if "T" in value else value
        except ValueError:
            return value
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k} {_fact(str(k), v, limit)}" for k, v in list(value.items())[:limit])
        more = f", … {len(value) - limit} more" if len(value) > limit else ""
        return f"({inner}{more})"
    if isinstance(value, list | tuple):
        shown = ", ".join(_fact(key, v, limit) for v in value[:limit])
        more = f", … {len(value) - limit} more" if len(value) > limit else ""
        return f"[{shown}{more}]"
    return str(value)


# Terminal safety: user text (titles, notes, comments, slice and feature values, names)
# never reaches the terminal raw. An escape sequence in a bug title could recolour the
# screen, retitle the window or hide what follows; a carriage return or backspace could
# overwrite what was printed; a bidi override could show text in another order than it
# is stored. Each such character is shown as its Python escape instead, `\x1b`, `\u202e`.
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_UNSAFE = (*range(0x20), *range(0x7F, 0xA0), *_BIDI, 0x2028, 0x2029)


def _escape(code: int) -> str:
    named = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
    return named.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_ONE_LINE = {code: _escape(code) for code in _UNSAFE}
_LINES = {k: v for k, v in _ONE_LINE.items() if k not in (0x09, 0x0A)}


def visible(text: str, *, lines: bool = False) -> str:
    """User text as safe to write to a terminal: control characters (C0, DEL, C1, so
    escape sequences too), bidi overrides and line separators shown as Python escapes,
    `"\\x1b[31m"` → `"\\\\x1b[31m"`; everything else (accents, emoji) unchanged.

    One line by default, a newline and a tab escaped too (a table cell, a title); with
    `lines`, newlines and tabs stay (a note in a detail view), a CRLF read as a newline.
    """
    if text.isprintable():
        return text
    if lines:
        return text.replace("\r\n", "\n").translate(_LINES)
    return text.translate(_ONE_LINE)
