"""Reading alerts: the stream as of a moment, one alert's detail, silences in force,
the track record of each alert type and the runbook notes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from tui.core.alerts.as_of import alerts_as_of
from tui.core.alerts.records import (
    Alert,
    AlertDetail,
    AlertEvent,
    DriftPicture,
    LinkedBug,
    ResultPoint,
    RunbookNote,
    TrackRecord,
)
from tui.core.checks.results import SEVERITY_RANK, slice_of
from tui.core.config.times import period_longest
from tui.core.errors import NotFoundError, UsageError
from tui.core.store.connection import Store, fetch_rows

# Types only: the config's models (pydantic) load only where a config is validated,
# so `alerts list` starts without them.
if TYPE_CHECKING:
    from tui.core.config.settings import Settings

STATUSES = ("firing", "acked", "snoozed", "silenced", "resolved", "retracted")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
# An alert's chart shows the windows before and after its episode too: what normal
# looked like, and that it came back.
EPISODE_MARGIN = timedelta(hours=6)
MAX_EPISODE_MARGIN = timedelta(days=7)


def _matches(silence: dict[str, Any], alert: dict[str, Any]) -> bool:
    matchers = json.loads(silence["matchers"])
    slice_ = slice_of(alert.get("slice")) or {}
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


def in_force(silence: dict[str, Any], now: datetime) -> bool:
    """Whether a silence holds at `now`: started, not ended, not expired by hand."""
    return silence["expired_at"] is None and silence["starts_at"] <= now < silence["ends_at"]


def active_silences(silences: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Silences in force at `now`."""
    return [s for s in silences if in_force(s, now)]


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
) -> dict[tuple[str, str, str | None], TrackRecord]:
    """Per alert type: episodes, acted, noise, actionability and median time to resolve."""
    return {
        (str(r["model"]), str(r["kind"]), r["feature"]): TrackRecord.from_row(r)
        for r in fetch_rows(con, "alerts_track_record")
    }


def _alert(
    row: dict[str, Any],
    status: str,
    records: dict[tuple[str, str, str | None], TrackRecord],
    notes: dict[tuple[str, str, str], RunbookNote],
) -> Alert:
    """A stored alert with its status, its type's track record and runbook text."""
    note = notes.get((row["model"], row["kind"], row["feature"] or ""))
    return Alert.from_row(
        row,
        status,
        records.get((row["model"], row["kind"], row["feature"])),
        note.text if note else None,
    )


SORTS = ("status", "severity", "actionability", "last_seen", "first_seen", "count")


def list_alerts(
    store: Store,
    now: datetime,
    status: str = "active",
    model: str | None = None,
    kind: str | None = None,
    sort: str = "status",
) -> list[Alert]:
    """Alerts as of `now`. `status` is one of STATUSES, `active` (all but resolved,
    silenced and retracted) or `all`; the default order puts firing first, then by
    severity and the type's actionability."""
    if status not in (*STATUSES, "active", "all"):
        raise UsageError(
            f"the status is one of {', '.join((*STATUSES, 'active', 'all'))}, got {status!r}",
            field="status",
        )
    if sort not in SORTS:
        raise UsageError(f"alerts sort by one of {', '.join(SORTS)}, got {sort!r}", field="sort")
    with store.read() as con:
        # As they were at `now`: a replay or investigation sees nothing that came after.
        rows = alerts_as_of(con, fetch_rows(con, "alerts_all", {"model": model, "kind": kind}), now)
        silences = active_silences(fetch_rows(con, "silences_all"), now)
        records = track_records(con)
        notes = runbooks(con)
    out = []
    for row in rows:
        st = status_of(row, silences, now)
        if status == "active" and st in ("resolved", "silenced", "retracted"):
            continue
        if status not in ("active", "all") and st != status:
            continue
        out.append(_alert(row, st, records, notes))

    def key(a: Alert) -> tuple[Any, ...]:
        act = a.actionability if a.actionability is not None else 0.5
        sev = -SEVERITY_RANK[a.severity]
        if sort == "actionability":
            return (-act, STATUS_RANK[a.status], sev)
        if sort == "severity":
            return (sev, STATUS_RANK[a.status], -act)
        if sort == "last_seen":
            return (-a.last_seen.timestamp(),)
        if sort == "first_seen":
            return (-a.first_seen.timestamp(),)
        if sort == "count":
            return (-a.count,)
        return (STATUS_RANK[a.status], sev, -act, -a.last_seen.timestamp())

    return sorted(out, key=key)


def episode_span(
    first_seen: datetime, last_seen: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """The span an alert's chart covers: its whole episode with a margin either side (a
    quarter of the episode, at least 6 hours, at most a week), never past `now`."""
    margin = min(max((last_seen - first_seen) / 4, EPISODE_MARGIN), MAX_EPISODE_MARGIN)
    return first_seen - margin, min(last_seen + margin, now) + timedelta(microseconds=1)


def _first_window_start(settings: Settings, row: dict[str, Any]) -> datetime:
    """Where the episode's first window may start, for windows longer than the chart's
    widest margin (a monthly SLO's month ends, and is known, a month after it starts)."""
    first: datetime = row["first_seen"]
    model = settings.config.models.get(row["model"])
    if model is None or row["kind"] in ("label_delay", "offline_gap", "estimated_slo"):
        return first
    if row["kind"] == "slo":
        reach = max((period_longest(s.window) for s in model.slos), default=MAX_EPISODE_MARGIN)
    else:  # judged every check window (a calendar month, perhaps)
        reach = period_longest(model.checks.window)
    return first - reach if reach > MAX_EPISODE_MARGIN else first


def show_alert(
    store: Store, settings: Settings, alert_id: int, now: datetime, recent: int = 2000
) -> AlertDetail:
    """One alert in full: its runbook note, linked bugs, events, its measurement's
    results over the episode with margins (at most `recent` windows, as they were known
    at `now`) and, for a drift alert, the baseline and current distributions.
    NotFoundError if there is none. Both faces read this same answer."""
    # Here, not at the top: the drift picture needs the baseline machinery, which a
    # command listing alerts has no use for (and would pay for at start-up).
    from tui.core.checks.picture import drift_view

    with store.read() as con:
        row = alert_row(con, alert_id)
        start, end = episode_span(row["first_seen"], row["last_seen"], now)
        start = min(start, _first_window_start(settings, row))
        drift = drift_view(con, settings, {**row, "slice": slice_of(row["slice"])})
        silences = active_silences(fetch_rows(con, "silences_all"), now)
        records = track_records(con)
        events = fetch_rows(con, "alert_events", {"alert_id": alert_id})
        results = fetch_rows(
            con,
            "results_of_episode",
            {
                "fingerprint": row["fingerprint"],
                "start": start,
                "end": end,
                "as_of": now,
                "limit": recent,
            },
        )
        notes = runbooks(con)
        bugs = fetch_rows(con, "bugs_linked_to_alert", {"alert_id": alert_id})
    return AlertDetail(
        alert=_alert(row, status_of(row, silences, now), records, notes),
        runbook=notes.get((row["model"], row["kind"], row["feature"] or "")),
        bugs=tuple(LinkedBug.from_row(b) for b in bugs),
        drift=DriftPicture.from_view(drift) if drift is not None else None,
        events=tuple(AlertEvent.from_row(e) for e in events),
        results=tuple(ResultPoint.from_row(r) for r in results),
    )


class NoSuchAlert(NotFoundError):
    """No alert has this id (each face says where the ids are listed)."""

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"no alert with id {alert_id}")
        self.alert_id = alert_id


def alert_row(con: duckdb.DuckDBPyConnection, alert_id: int) -> dict[str, Any]:
    """The stored row of one alert; NoSuchAlert if there is none."""
    rows = fetch_rows(con, "alert_get", {"alert_id": alert_id})
    if not rows:
        raise NoSuchAlert(alert_id)
    return rows[0]


def list_silences(
    store: Store, now: datetime, include_expired: bool = False
) -> list[dict[str, Any]]:
    """Silences with their matchers and whether they are in force."""
    with store.read() as con:
        rows = fetch_rows(con, "silences_all")
    out = []
    for s in rows:
        active = in_force(s, now)
        if not include_expired and not active:
            continue
        out.append({**s, "matchers": json.loads(s["matchers"]), "active": active})
    return out


def runbooks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], RunbookNote]:
    """The latest note of every alert type, keyed (model, kind, feature or '')."""
    return {
        (str(r["model"]), str(r["kind"]), str(r["feature"])): RunbookNote.from_row(r)
        for r in fetch_rows(con, "runbook_latest")
    }
