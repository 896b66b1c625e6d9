"""Reading alerts: the stream as of a moment, one alert's detail, silences in force,
the track record of each alert type and the runbook notes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from tui.core.checks.baseline import drift_view
from tui.core.checks.results import SEVERITY_RANK
from tui.core.config.settings import Settings
from tui.core.errors import NotFoundError, UsageError
from tui.core.store.connection import Store, fetch_rows

STATUSES = ("firing", "acked", "snoozed", "silenced", "resolved", "retracted")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}


def _matches(silence: dict[str, Any], alert: dict[str, Any]) -> bool:
    matchers = json.loads(silence["matchers"])
    slice_ = json.loads(alert["slice"]) if alert.get("slice") else {}
    for key, value in matchers.items():
        if key in ("model", "kind", "feature", "severity", "fingerprint"):
            if str(alert.get(key)) != value:
                return False
        elif key == "check":
            if alert.get("check_name") != value:
                return False
        elif slice_.get(key) != value:
            return False
    return True


def active_silences(silences: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Silences in force at `now`."""
    return [s for s in silences if s["expired_at"] is None and s["starts_at"] <= now < s["ends_at"]]


def status_of(alert: dict[str, Any], silences: list[dict[str, Any]], now: datetime) -> str:
    """firing, acked, snoozed, silenced, resolved or retracted, as of `now`.

    `retracted`: the windows that opened it passed once more labels arrived, so it
    was never a real episode; it is kept, like everything, but counts as no alert.
    """
    if alert["state"] in ("resolved", "retracted"):
        return str(alert["state"])
    if any(_matches(s, alert) for s in silences):
        return "silenced"
    if alert["snoozed_until"] is not None and alert["snoozed_until"] > now:
        return "snoozed"
    if alert["acked_at"] is not None:
        return "acked"
    return "firing"


def track_records(
    con: duckdb.DuckDBPyConnection,
) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    """Per alert type: episodes, acted, noise, actionability and median time to resolve."""
    out = {}
    for r in fetch_rows(con, "alerts_track_record"):
        episodes = int(r["episodes"])
        out[(str(r["model"]), str(r["kind"]), r["feature"])] = {
            "episodes": episodes,
            "acted": int(r["acted"]),
            "noise": int(r["noise"]),
            "actionability": int(r["acted"]) / episodes if episodes else None,
            "median_minutes_to_resolve": r["median_minutes"],
            "last_noise_by": r["last_noise_by"],
            "last_noise_at": r["last_noise_at"],
        }
    return out


def alert_json(alert: dict[str, Any], status: str, record: dict[str, Any] | None) -> dict[str, Any]:
    """An alert as the JSON object the command line and scripts see."""
    return {
        "id": int(alert["alert_id"]),
        "fingerprint": alert["fingerprint"],
        "model": alert["model"],
        "check": alert["check_name"],
        "kind": alert["kind"],
        "feature": alert["feature"],
        "slice": json.loads(alert["slice"]) if alert["slice"] else None,
        "severity": alert["severity"],
        "status": status,
        "first_seen": alert["first_seen"],
        "last_seen": alert["last_seen"],
        "count": int(alert["count"]),
        "value": alert["value"],
        "worst_value": alert["worst_value"],
        "threshold": alert["threshold"],
        "detail": json.loads(alert["detail"]) if alert["detail"] else {},
        "acked_by": alert["acked_by"],
        "snoozed_until": alert["snoozed_until"],
        "resolved_at": alert["resolved_at"],
        "resolved_by": alert["resolved_by"],
        "marked": alert["marked"],
        "actionability": record["actionability"] if record else None,
        "track_record": record,
    }


SORTS = ("status", "severity", "actionability", "last_seen", "first_seen", "count")


def list_alerts(
    store: Store,
    now: datetime,
    status: str = "active",
    model: str | None = None,
    kind: str | None = None,
    sort: str = "status",
) -> list[dict[str, Any]]:
    """Alerts as JSON objects. `status` is one of STATUSES, `active` (all but resolved
    and silenced) or `all`; the default order puts firing first, then by severity and
    the type's actionability."""
    if status not in (*STATUSES, "active", "all"):
        raise UsageError(f"--status must be one of {', '.join((*STATUSES, 'active', 'all'))}")
    if sort not in SORTS:
        raise UsageError(f"--sort must be one of {', '.join(SORTS)}")
    with store.read() as con:
        alerts = fetch_rows(con, "alerts_all", {"model": model, "kind": kind})
        silences = active_silences(fetch_rows(con, "silences_all"), now)
        records = track_records(con)
        notes = runbooks(con)
    out = []
    for a in alerts:
        st = status_of(a, silences, now)
        if status == "active" and st in ("resolved", "silenced", "retracted"):
            continue
        if status not in ("active", "all") and st != status:
            continue
        entry = alert_json(a, st, records.get((a["model"], a["kind"], a["feature"])))
        note_row = notes.get((a["model"], a["kind"], a["feature"] or ""))
        entry["runbook"] = note_row["text"] if note_row else None
        out.append(entry)

    def key(a: dict[str, Any]) -> tuple[Any, ...]:
        act = a["actionability"] if a["actionability"] is not None else 0.5
        sev = -SEVERITY_RANK[a["severity"]]
        if sort == "actionability":
            return (-act, STATUS_RANK[a["status"]], sev)
        if sort == "severity":
            return (sev, STATUS_RANK[a["status"]], -act)
        if sort in ("last_seen", "first_seen"):
            return (-a[sort].timestamp(),)
        if sort == "count":
            return (-a["count"],)
        return (STATUS_RANK[a["status"]], sev, -act, -a["last_seen"].timestamp())

    return sorted(out, key=key)


def show_alert(
    store: Store, alert_id: int, now: datetime, recent: int = 48, settings: Settings | None = None
) -> dict[str, Any]:
    """One alert with its events and recent results (and, given the settings, for a drift
    alert the baseline and current distributions); NotFoundError if there is none."""
    with store.read() as con:
        alert = alert_row(con, alert_id)
        drift = (
            drift_view(
                con,
                settings,
                {**alert, "slice": json.loads(alert["slice"]) if alert["slice"] else None},
            )
            if settings is not None
            else None
        )
        silences = active_silences(fetch_rows(con, "silences_all"), now)
        records = track_records(con)
        events = fetch_rows(con, "alert_events", {"alert_id": alert_id})
        results = fetch_rows(
            con, "results_of_fingerprint", {"fingerprint": alert["fingerprint"], "limit": recent}
        )
        note_row = runbooks(con).get((alert["model"], alert["kind"], alert["feature"] or ""))
        bugs = fetch_rows(con, "bugs_linked_to_alert", {"alert_id": alert_id})
    out = alert_json(
        alert,
        status_of(alert, silences, now),
        records.get((alert["model"], alert["kind"], alert["feature"])),
    )
    out["runbook"] = note_row
    out["bugs"] = bugs
    out["drift"] = drift
    out["events"] = [{**e, "detail": json.loads(e["detail"])} for e in events]
    out["results"] = [{**r, "detail": json.loads(r["detail"])} for r in reversed(results)]
    return out


def alert_row(con: duckdb.DuckDBPyConnection, alert_id: int) -> dict[str, Any]:
    rows = fetch_rows(con, "alert_get", {"alert_id": alert_id})
    if not rows:
        raise NotFoundError(
            f"no alert with id {alert_id}; `oncall alerts list --status all` lists them"
        )
    return rows[0]


def list_silences(
    store: Store, now: datetime, include_expired: bool = False
) -> list[dict[str, Any]]:
    """Silences with their matchers and whether they are in force."""
    with store.read() as con:
        rows = fetch_rows(con, "silences_all")
    out = []
    for s in rows:
        active = s["expired_at"] is None and s["starts_at"] <= now < s["ends_at"]
        if not include_expired and not active:
            continue
        out.append({**s, "matchers": json.loads(s["matchers"]), "active": active})
    return out


def runbooks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The latest note of every alert type, keyed (model, kind, feature or '')."""
    return {
        (str(r["model"]), str(r["kind"]), str(r["feature"])): r
        for r in fetch_rows(con, "runbook_latest")
    }
