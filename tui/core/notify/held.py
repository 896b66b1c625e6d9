"""Whether a notification about an alert is held back, and why: one predicate.

Silenced and snoozed alerts are not sent (they are still stored and shown), nor are
alerts the surfacing policy (`alerting.surface`) holds in the digest: every caller asks
the same question in the same place. A held alert whose reason goes (the silence
expires, someone acts on its type) is sent then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from tui.core.alerts.reading import status_of
from tui.core.config.settings import Settings
from tui.core.tuning.record import read_outcomes
from tui.core.tuning.surfacing import digest_of


def in_digest(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime) -> frozenset[int]:
    """The ids of the alerts the surfacing policy holds in the digest at `now` (none
    without a policy); read once per pass, inside the caller's transaction."""
    policy = settings.config.alerting.surface
    if policy is None:
        return frozenset()
    return digest_of(policy, read_outcomes(con), now).held_ids


def held_back(
    alert: dict[str, Any],
    silences: list[dict[str, Any]],
    now: datetime,
    digest: frozenset[int] = frozenset(),
) -> str | None:
    """Why a notification about `alert` (a row of the alerts table) is held back at
    `now`, or None when it may be sent. `silences` are those in force at `now`;
    `digest` the alerts held in the digest then (`in_digest`)."""
    if alert.get("state") != "open":
        return None
    for silence in silences:
        if status_of(alert, [silence], now) == "silenced":
            return f"silenced by silence {silence['silence_id']}"
    until = alert.get("snoozed_until")
    if until is not None and until > now:
        return f"snoozed until {until:%Y-%m-%d %H:%M} UTC"
    if alert.get("alert_id") in digest:
        return "held in the digest: alerts of its type are rarely acted on (alerting.surface)"
    return None
