"""The value types every config section is built from: durations, check windows,
fractions, class labels, and the strict base that refuses unknown keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from tui.core.config.times import (
    MAX_DURATION,
    Months,
    parse_duration,
    parse_months,
)


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        if value > MAX_DURATION:
            raise ValueError(f"duration too long: at most 3650d (ten years), got {value}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 30m, 2h or 3d, got {value!r}")
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _period(value: Any) -> timedelta | Months:
    if isinstance(value, Months):
        return value
    months = parse_months(value)
    if months is not None:
        return Months(months)
    try:
        return _duration(value)
    except ValueError as exc:
        if "expected a duration" not in str(exc):
            raise  # too long, or another complaint of its own
        # This key also takes calendar months: the refusal says so.
        raise ValueError(
            f"expected a duration such as 30m, 2h, 3d or 1w, or calendar months such "
            f"as 1mo, got {value!r}"
        ) from None


# A window checks are judged over that may also be whole calendar months: `1mo` windows
# are calendar months [the 1st 00:00 UTC, the next 1st), like days are UTC days.
PeriodWindow = Annotated[timedelta | Months, BeforeValidator(_period)]


# A trailing span: a duration (7d) or calendar months (1mo: back to the same day of the
# previous month, clamped to its last day).
Trailing = Annotated[timedelta | Months, BeforeValidator(_period)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


def _as_text(value: Any) -> Any:
    # `positive: 1` in YAML is an int; class labels are compared as text.
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


ClassLabel = Annotated[str, BeforeValidator(_as_text)]


class Strict(BaseModel):
    """Every config section forbids unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)
