"""Alerts: episodes of failing results, their history, actions and track record.

An alert is one episode of one fingerprint: it opens with a failing window, counts
the failing windows that follow, and resolves by itself after `alerting.resolve_after`
passing windows (or by hand); a failure after that opens a new episode. Episodes are
recomputed from the stored result series, so checking every hour and checking once at
the end arrive at the same alerts. Silenced alerts are still created and stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from tui.core.checks.results import FAILING, PASSING, SEVERITY_RANK
from tui.core.session.login import record_login
from tui.core.store.connection import execute, fetch_rows

# Types only: the config's models (pydantic) load only where a config is validated,
# so `alerts list` starts without them.
if TYPE_CHECKING:
    from tui.core.config.settings import Settings

SYSTEM = "oncall"


@dataclass
class Episode:
    """A run of failing windows of one fingerprint."""

    first: dict[str, Any]
    windows: list[dict[str, Any]] = field(default_factory=list)
    resolved_at: datetime | None = None
    manual: bool = False

    @property
    def severity(self) -> str:
        return str(max((w["status"] for w in self.windows), key=lambda s: SEVERITY_RANK[s]))

    @property
    def worst(self) -> dict[str, Any]:
        def badness(w: dict[str, Any]) -> tuple[int, float]:
            value, threshold = w["value"], w["threshold"]
            gap = abs(value - threshold) if value is not None and threshold is not None else 0.0
            return SEVERITY_RANK[w["status"]], gap

        return max(self.windows, key=badness)


def episodes_of(
    series: list[dict[str, Any]], resolve_after: int, cuts: list[datetime]
) -> list[Episode]:
    """Split a fingerprint's results (in window order) into episodes.

    `cuts` are times at which someone resolved an open episode by hand: a failure
    ending after a cut starts a new episode. Insufficient windows neither continue nor
    end an episode.
    """
    episodes: list[Episode] = []
    current: Episode | None = None
    passes = 0
    pending = sorted(cuts)
    for r in series:
        if current is not None and pending:
            while pending and pending[0] < current.windows[0]["window_end"]:
                pending.pop(0)
            if pending and r["window_end"] > pending[0]:
                current.resolved_at, current.manual = pending.pop(0), True
                current = None
        if r["status"] in FAILING:
            if current is None:
                current = Episode(first=r)
                episodes.append(current)
            current.windows.append(r)
            passes = 0
        elif r["status"] in PASSING and current is not None:
            passes += 1
            if passes >= resolve_after:
                current.resolved_at = r["window_end"]
                current = None
                passes = 0
    if current is not None and pending:
        current.resolved_at, current.manual = pending[0], True
    return episodes


@dataclass
class AlertChange:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


def add_event(
    con: duckdb.DuckDBPyConnection,
    alert_id: int,
    at: datetime,
    actor: str,
    action: str,
    **detail: Any,
) -> None:
    """Append a sealed event to an alert's history."""
    event_id = fetch_rows(
        con,
        "alert_event_insert",
        {
            "alert_id": alert_id,
            "acted_at": at,
            "actor": actor,
            "action": action,
            "detail": json.dumps(detail, sort_keys=True, default=str),
        },
    )[0]["event_id"]
    execute(con, "alert_event_seal", {"event_id": event_id})
    record_login(con, "alert", event_id)


def reconcile_alerts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model: str,
    fingerprints: list[str],
    now: datetime,
) -> AlertChange:
    """Bring the alerts of the given fingerprints in line with their result series."""
    change = AlertChange()
    if not fingerprints:
        return change
    series: dict[str, list[dict[str, Any]]] = {}
    for r in fetch_rows(con, "alerts_series", {"model": model, "fingerprints": fingerprints}):
        series.setdefault(str(r["fingerprint"]), []).append(r)
    stored: dict[str, list[dict[str, Any]]] = {}
    for a in fetch_rows(
        con, "alerts_of_fingerprints", {"model": model, "fingerprints": fingerprints}
    ):
        stored.setdefault(str(a["fingerprint"]), []).append(a)
    resolve_after = settings.config.alerting.resolve_after
    for fp in sorted(set(series) | set(stored)):
        existing = {a["first_window_start"]: a for a in stored.get(fp, [])}
        cuts = [a["resolved_at"] for a in stored.get(fp, []) if a["resolved_by"] is not None]
        found = episodes_of(series.get(fp, []), resolve_after, cuts)
        seen_starts = set()
        for ep in found:
            start = ep.first["window_start"]
            seen_starts.add(start)
            last = ep.windows[-1]
            worst = ep.worst
            state = "resolved" if ep.resolved_at is not None else "open"
            values = {
                "severity": ep.severity,
                "state": state,
                "last_seen": last["known_at"],
                "count": len(ep.windows),
                "value": last["value"],
                "worst_value": worst["value"],
                "detail": last["detail"],
                "resolved_at": ep.resolved_at,
            }
            old = existing.get(start)
            if old is None:
                alert_id = int(
                    fetch_rows(
                        con,
                        "alert_insert",
                        {
                            **values,
                            "fingerprint": fp,
                            "model": model,
                            "check_name": ep.first["check_name"],
                            "kind": ep.first["kind"],
                            "feature": ep.first["feature"],
                            "slice": ep.first["slice"],
                            "first_window_start": start,
                            "first_seen": ep.first["known_at"],
                            "threshold": ep.first["threshold"],
                            "created_at": now,
                        },
                    )[0]["alert_id"]
                )
                add_event(
                    con,
                    alert_id,
                    ep.first["known_at"],
                    SYSTEM,
                    "opened",
                    severity=ep.first["status"],
                    value=ep.first["value"],
                )
                change.opened.append(alert_id)
                if ep.resolved_at is not None and not ep.manual:
                    add_event(
                        con,
                        alert_id,
                        ep.resolved_at,
                        SYSTEM,
                        "resolved",
                        reason=f"passed {resolve_after} windows",
                    )
                    change.resolved.append(alert_id)
                continue
            alert_id = int(old["alert_id"])
            if old["resolved_by"] is not None:
                continue  # resolved by hand: the person's decision stands
            differs = any(
                old[k] != values[k]
                for k in ("severity", "state", "last_seen", "count", "resolved_at")
            )
            if not differs:
                if old["detail"] != values["detail"]:
                    # The same episode with newer evidence (an estimate's window whose
                    # labels have since arrived): the alert shows what is known now.
                    execute(con, "alert_update_episode", {**values, "alert_id": alert_id})
                continue
            execute(con, "alert_update_episode", {**values, "alert_id": alert_id})
            if SEVERITY_RANK[values["severity"]] > SEVERITY_RANK[str(old["severity"])]:
                add_event(
                    con,
                    alert_id,
                    last["known_at"],
                    SYSTEM,
                    "escalated",
                    severity=values["severity"],
                    value=last["value"],
                )
            if ep.resolved_at is not None and old["state"] != "resolved":
                add_event(
                    con,
                    alert_id,
                    ep.resolved_at,
                    SYSTEM,
                    "resolved",
                    reason=f"passed {resolve_after} windows",
                )
                change.resolved.append(alert_id)
            elif state == "open" and old["state"] == "resolved":
                add_event(con, alert_id, last["known_at"], SYSTEM, "reopened")
            change.updated.append(alert_id)
        for start, old in existing.items():
            if start not in seen_starts and old["state"] == "open":
                # Labels that arrived later showed the windows were fine after all.
                alert_id = int(old["alert_id"])
                execute(
                    con,
                    "alert_update_episode",
                    {
                        "alert_id": alert_id,
                        "severity": old["severity"],
                        "state": "retracted",
                        "last_seen": old["last_seen"],
                        "count": old["count"],
                        "value": old["value"],
                        "worst_value": old["worst_value"],
                        "detail": "{}",
                        "resolved_at": now,
                    },
                )
                add_event(
                    con,
                    alert_id,
                    now,
                    SYSTEM,
                    "retracted",
                    reason="re-evaluated with more labels; the window passes",
                )
                change.resolved.append(alert_id)
    return change
