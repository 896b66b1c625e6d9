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
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.config import Settings
from tui.core.errors import NotFoundError, UsageError
from tui.core.results import FAILING, PASSING, SEVERITY_RANK
from tui.core.roles import changing
from tui.core.store import Store, execute, fetch_rows

SYSTEM = "oncall"
STATUSES = ("firing", "acked", "snoozed", "silenced", "resolved", "retracted")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}


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


# ---------------------------------------------------------------- reading


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
    from tui.core.baseline import drift_view

    with store.read() as con:
        alert = _get(con, alert_id)
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


def _get(con: duckdb.DuckDBPyConnection, alert_id: int) -> dict[str, Any]:
    rows = fetch_rows(con, "alert_get", {"alert_id": alert_id})
    if not rows:
        raise NotFoundError(
            f"no alert with id {alert_id}; `oncall alerts list --status all` lists them"
        )
    return rows[0]


# ---------------------------------------------------------------- actions
# Each action has a form that works inside a caller's transaction (`*_in`, used by the
# outbox to apply an action and record it together) and one that opens its own.


def ack_in(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, note: str = ""
) -> None:
    """Acknowledge inside an open transaction."""
    _get(con, alert_id)
    execute(con, "alert_set_ack", {"alert_id": alert_id, "at": now, "actor": actor})
    add_event(con, alert_id, now, actor, "ack", note=note)


def snooze_in(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, duration: timedelta
) -> datetime:
    """Snooze inside an open transaction; return until when."""
    until = now + duration
    _get(con, alert_id)
    execute(con, "alert_set_snooze", {"alert_id": alert_id, "until": until})
    add_event(con, alert_id, now, actor, "snooze", until=until)
    return until


def resolve_in(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, note: str = ""
) -> None:
    """Resolve by hand inside an open transaction."""
    alert = _get(con, alert_id)
    if alert["state"] != "open":
        raise UsageError(f"alert {alert_id} is already {alert['state']}")
    execute(con, "alert_set_resolved", {"alert_id": alert_id, "at": now, "actor": actor})
    add_event(con, alert_id, now, actor, "resolve", note=note)


def note_in(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, text: str
) -> None:
    """Add a note inside an open transaction."""
    if not text.strip():
        raise UsageError("a note needs text")
    _get(con, alert_id)
    add_event(con, alert_id, now, actor, "note", text=text)


def mark_in(
    con: duckdb.DuckDBPyConnection,
    alert_id: int,
    actor: str,
    now: datetime,
    noise_reason: str | None = None,
    actionable: bool = False,
) -> None:
    """Mark as noise or actionable inside an open transaction."""
    if (noise_reason is None) == (not actionable):
        raise UsageError("mark takes either --noise REASON or --actionable")
    label = "actionable" if actionable else "noise"
    _get(con, alert_id)
    execute(con, "alert_set_mark", {"alert_id": alert_id, "mark": label, "actor": actor})
    add_event(con, alert_id, now, actor, f"mark_{label}", reason=noise_reason or "")


def ack(
    store: Store, settings: Settings, alert_id: int, actor: str, now: datetime, note: str = ""
) -> None:
    """Acknowledge: someone is on it. Lasts while the episode lasts."""
    with changing(store, settings, actor) as con:
        ack_in(con, alert_id, actor, now, note)


def snooze(
    store: Store, settings: Settings, alert_id: int, actor: str, now: datetime, duration: timedelta
) -> datetime:
    """Hide the alert until now + duration; it comes back by itself."""
    with changing(store, settings, actor) as con:
        return snooze_in(con, alert_id, actor, now, duration)


def resolve(
    store: Store, settings: Settings, alert_id: int, actor: str, now: datetime, note: str = ""
) -> None:
    """Resolve by hand; a failure after this opens a new alert."""
    with changing(store, settings, actor) as con:
        resolve_in(con, alert_id, actor, now, note)


def note(
    store: Store, settings: Settings, alert_id: int, actor: str, now: datetime, text: str
) -> None:
    """Add a note to the alert's history."""
    with changing(store, settings, actor) as con:
        note_in(con, alert_id, actor, now, text)


def mark(
    store: Store,
    settings: Settings,
    alert_id: int,
    actor: str,
    now: datetime,
    noise_reason: str | None = None,
    actionable: bool = False,
) -> None:
    """Mark as noise (with a reason) or as actionable; feeds the type's track record."""
    with changing(store, settings, actor) as con:
        mark_in(con, alert_id, actor, now, noise_reason, actionable)


SILENCE_KEYS = ("model", "kind", "check", "feature", "severity", "fingerprint")


def parse_matchers(settings: Settings, pairs: list[str]) -> dict[str, str]:
    """`key=value` pairs into a matcher; keys are alert fields or declared slice columns."""
    if not pairs:
        raise UsageError("a silence needs at least one --match KEY=VALUE")
    slices = {s for m in settings.config.models.values() for s in m.slices}
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"--match takes KEY=VALUE, got {pair!r}")
        if key not in SILENCE_KEYS and key not in slices:
            valid = ", ".join([*SILENCE_KEYS, *sorted(slices)])
            raise UsageError(f"--match key {key!r} is not one of: {valid}")
        if key == "model":
            settings.model(value)
        out[key] = value
    return out


def silence(
    store: Store,
    settings: Settings,
    matchers: dict[str, str],
    actor: str,
    now: datetime,
    duration: timedelta,
    note_text: str = "",
) -> int:
    """Silence matching alerts for a while; they are still created and stored."""
    with changing(store, settings, actor) as con:
        return int(
            fetch_rows(
                con,
                "silence_insert",
                {
                    "matchers": json.dumps(matchers, sort_keys=True),
                    "starts_at": now,
                    "ends_at": now + duration,
                    "created_by": actor,
                    "note": note_text,
                },
            )[0]["silence_id"]
        )


def expire_silence(
    store: Store, settings: Settings, silence_id: int, actor: str, now: datetime
) -> None:
    """End a silence now."""
    with changing(store, settings, actor) as con:
        rows = [s for s in fetch_rows(con, "silences_all") if s["silence_id"] == silence_id]
        if not rows:
            raise NotFoundError(f"no silence with id {silence_id}")
        execute(con, "silence_expire", {"silence_id": silence_id, "at": now, "actor": actor})


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


# ---------------------------------------------------------------- runbook notes


def parse_type(settings: Settings, text: str) -> tuple[str, str, str]:
    """`model/kind[/feature]` into its parts, checked against the config."""
    from tui.core.checks import KINDS

    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"an alert type is MODEL/KIND or MODEL/KIND/FEATURE, got {text!r}")
    model, kind = parts[0], parts[1]
    spec = settings.model(model)
    if kind not in KINDS:
        raise UsageError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    feature = parts[2] if len(parts) == 3 else ""
    if feature and feature not in spec.features and feature not in spec.slices:
        raise UsageError(f"{feature!r} is not a feature of model {model!r}")
    return model, kind, feature


def write_runbook(
    store: Store, settings: Settings, alert_type: str, text: str, actor: str, now: datetime
) -> tuple[str, str, str]:
    """Attach a note to an alert type; it shows whenever that type fires."""
    if not text.strip():
        raise UsageError("a runbook note needs text")
    model, kind, feature = parse_type(settings, alert_type)
    with changing(store, settings, actor) as con:
        execute(
            con,
            "runbook_insert",
            {
                "model": model,
                "kind": kind,
                "feature": feature,
                "text": text,
                "author": actor,
                "at": now,
            },
        )
    return model, kind, feature


def runbooks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The latest note of every alert type, keyed (model, kind, feature or '')."""
    return {
        (str(r["model"]), str(r["kind"]), str(r["feature"])): r
        for r in fetch_rows(con, "runbook_latest")
    }
