"""Whether a notification about an alert is held back, and why: one predicate.

Silenced and snoozed alerts are not sent (they are still stored and shown). The
surfacing policy of the tuning room (alerts kept for a digest) belongs here too, as
one more reason, so every caller asks the same question in the same place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.core.alerts.reading import status_of


def held_back(alert: dict[str, Any], silences: list[dict[str, Any]], now: datetime) -> str | None:
    """Why a notification about `alert` (a row of the alerts table) is held back at
    `now`, or None when it may be sent. `silences` are those in force at `now`."""
    if alert.get("state") != "open":
        return None
    for silence in silences:
        if status_of(alert, [silence], now) == "silenced":
            return f"silenced by silence {silence['silence_id']}"
    until = alert.get("snoozed_until")
    if until is not None and until > now:
        return f"snoozed until {until:%Y-%m-%d %H:%M} UTC"
    # The digest's `held` (tuning room) joins here as one more reason.
    return None
