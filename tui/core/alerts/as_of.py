"""Alerts as they were at a moment: what a replay, an investigation or a follow shows.

The alerts table holds each alert as it is now. Seen from an earlier moment, an alert
that fired later did not exist yet, and one acked, resolved, escalated or counted on
afterwards looked otherwise: its state is rebuilt from its own history up to that
moment, and its count, last window and value from the results known by then.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from tui.core.alerts.episodes import SYSTEM
from tui.core.store.connection import fetch_rows


def alerts_as_of(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], moment: datetime
) -> list[dict[str, Any]]:
    """``rows`` (of the alerts table) as they stood at ``moment``: those not yet seen
    then left out, the others with state, acknowledgement, snooze, mark, severity,
    count, last window and value as they were. Rows nothing happened to since are
    returned as they are."""
    seen = [r for r in rows if r["first_seen"] <= moment]
    changed = {
        int(r["alert_id"]) for r in fetch_rows(con, "alerts_changed_after", {"as_of": moment})
    }
    stale = [int(r["alert_id"]) for r in seen if int(r["alert_id"]) in changed]
    if not stale:
        return seen
    events: dict[int, list[dict[str, Any]]] = {}
    for e in fetch_rows(con, "alert_events_of", {"ids": stale, "as_of": moment}):
        events.setdefault(int(e["alert_id"]), []).append(e)
    results = {
        int(r["alert_id"]): r
        for r in fetch_rows(con, "alerts_results_as_of", {"ids": stale, "as_of": moment})
    }
    out = []
    for row in seen:
        alert_id = int(row["alert_id"])
        if alert_id in changed:
            row = rebuilt(row, events.get(alert_id, []), results.get(alert_id))
        out.append(row)
    return out


def rebuilt(
    row: dict[str, Any], events: list[dict[str, Any]], known: dict[str, Any] | None
) -> dict[str, Any]:
    """One alert's row from its events up to a moment (in order) and the aggregate of
    its failing windows known by then (None: none yet, so the first window's)."""
    was = {
        **row,
        "state": "open",
        "acked_at": None,
        "acked_by": None,
        "snoozed_until": None,
        "resolved_at": None,
        "resolved_by": None,
        "marked": None,
        "marked_by": None,
    }
    for e in events:
        action, at, actor = str(e["action"]), e["acted_at"], str(e["actor"])
        detail = json.loads(e["detail"]) if e["detail"] else {}
        if action in ("opened", "escalated") and detail.get("severity"):
            was["severity"] = detail["severity"]
        elif action in ("resolved", "resolve"):
            was.update(state="resolved", resolved_at=at)
            was["resolved_by"] = None if actor == SYSTEM else actor
        elif action == "reopened":
            was.update(state="open", resolved_at=None, resolved_by=None)
        elif action == "retracted":
            was.update(state="retracted", resolved_at=at)
        elif action == "ack":
            was.update(acked_at=at, acked_by=actor)
        elif action == "snooze" and detail.get("until"):
            was["snoozed_until"] = datetime.fromisoformat(str(detail["until"]))
        elif action.startswith("mark_"):
            was.update(marked=action.removeprefix("mark_"), marked_by=actor)
    if known is not None and int(known["n"]):
        critical = bool(known["critical"])
        was.update(
            count=int(known["n"]),
            last_seen=known["last_seen"],
            value=known["value"],
            severity="critical" if critical else was["severity"],
        )
        # The worst so far, on the side the threshold is crossed from.
        worst = row["worst_value"]
        if worst is not None and known["low"] is not None:
            was["worst_value"] = known["high"] if worst >= known["low"] else known["low"]
    else:
        was.update(count=1, last_seen=row["first_seen"])
    return was
