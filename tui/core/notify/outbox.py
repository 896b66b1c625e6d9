"""The notification outbox: what each route is to be told, kept in the store.

`queue_alert_changes` runs inside the transaction that changed the alerts: it reads
the alert events written since the last time (a cursor in the store) and queues one
notification per route and event, so a change and its notifications commit together
or not at all. A route hears of an alert when it matches it (an escalation to
critical can be the first a `severity: critical` route hears); acknowledgements,
resolutions and retractions go only to routes that were told the alert fired.

A sender claims pending rows in one short transaction (only rows still pending, so
two senders never take the same row), sends them with no store connection open, and
records the answer in another: a 2xx marks a row sent for good. A sender killed
mid-send leaves its rows `sending`; the next sender sees that process is gone and
puts them back to pending, so at most the message in flight is sent twice, with the
same dedup key.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.alerts.episodes import SYSTEM, add_event
from tui.core.alerts.reading import active_silences
from tui.core.checks.results import slice_of
from tui.core.config.notify import Route
from tui.core.config.settings import Settings
from tui.core.notify.held import held_back, in_digest
from tui.core.store.connection import Store, execute, fetch_rows

# What a route is told: the alert fires (first, worse, again) or it ended.
FIRING = ("trigger", "escalate", "repeat")
ENDING = ("resolve", "retract")
EVENTS = (*FIRING, "acknowledge", *ENDING, "test", "handoff")
STATES = ("pending", "sending", "sent", "failed", "held", "skipped")
# A row still on its way: what the route will have been told once it is sent.
ON_ITS_WAY = ("pending", "sending", "sent")
# A claim older than this is taken back even if its process seems alive (a sender on
# another host, or a pid reused): beyond any request's timeout.
LEASE = timedelta(minutes=10)


def sender_id() -> str:
    """Who claims rows: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


# Rows this process is sending right now: a claim of its own not among them was left by
# a send that failed before it could record its answer (the store stayed busy).
IN_FLIGHT: set[int] = set()


def _alive(
    notification_id: int, claimed_by: str | None, claimed_at: datetime | None, wall: datetime
) -> bool:
    """Whether the sender that claimed a row may still be sending it."""
    if claimed_by is None or claimed_at is None:
        return False
    if claimed_at < wall - LEASE:
        return False
    host, _, pid_text = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another host: only the lease can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return notification_id in IN_FLIGHT
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _insert(
    con: duckdb.DuckDBPyConnection,
    route: str,
    alert: dict[str, Any] | None,
    event: str,
    wall: datetime,
    *,
    event_id: int | None = None,
    state: str = "pending",
    reason: str = "",
    body: str = "",
) -> int:
    return int(
        fetch_rows(
            con,
            "notify_insert",
            {
                "route": route,
                "model": alert["model"] if alert else None,
                "alert_id": alert["alert_id"] if alert else None,
                "fingerprint": alert["fingerprint"] if alert else None,
                "event": event,
                "event_id": event_id,
                "body": body,
                "state": state,
                "reason": reason,
                "created_at": wall,
            },
        )[0]["notification_id"]
    )


@dataclass
class Queued:
    """What one pass queued: rows to send, and rows held back (silenced, snoozed)."""

    pending: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)


def _told(rows: list[dict[str, Any]], route: str) -> str | None:
    """The last thing a route was (or is about to be) told about an alert."""
    last = None
    for row in rows:
        if row["route"] == route and row["state"] in ON_ITS_WAY:
            last = str(row["event"])
    return last


def _held_rows(rows: list[dict[str, Any]], route: str) -> list[int]:
    return [int(r["notification_id"]) for r in rows if r["route"] == route and r["state"] == "held"]


def queue_alert_changes(
    con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime, wall: datetime
) -> Queued:
    """Queue the notifications of every alert event written since the last pass, inside
    the caller's transaction. `now` is the data's now (silences and snoozes are judged
    at it); `wall` the clock the notifications are timed by. With no routes declared,
    the cursor still moves: declaring one later does not page the past."""
    queued = Queued()
    routes = settings.config.alerting.notify
    after = int(fetch_rows(con, "notify_cursor_get")[0]["last_event_id"])
    events = fetch_rows(con, "notify_new_events", {"after": after}) if routes else []
    silences = active_silences(fetch_rows(con, "silences_all"), now) if events else []
    digest = in_digest(con, settings, now) if events else frozenset()
    for event in events:
        _queue_event(con, routes, event, silences, digest, now, wall, queued)
    last = int(fetch_rows(con, "notify_last_event_id")[0]["last_event_id"])
    execute(con, "notify_cursor_set", {"event_id": last})
    return queued


def _queue_event(
    con: duckdb.DuckDBPyConnection,
    routes: list[Route],
    event: dict[str, Any],
    silences: list[dict[str, Any]],
    digest: frozenset[int],
    now: datetime,
    wall: datetime,
    queued: Queued,
) -> None:
    action = str(event["action"])
    alert_id = int(event["alert_id"])
    rows = fetch_rows(con, "notify_of_alert", {"alert_id": alert_id})
    event_id = int(event["event_id"])
    held_by: list[str] = []
    reason = held_back(event, silences, now, digest)
    for route in routes:
        told = _told(rows, route.name)
        firing = told in FIRING
        if action in ("opened", "reopened", "escalated"):
            if event["state"] != "open" or not route.matches(event, slice_of(event["slice"])):
                continue
            if firing:
                if action == "escalated":
                    queued.pending.append(
                        _insert(con, route.name, event, "escalate", wall, event_id=event_id)
                    )
                continue
            if reason is not None:
                if not _held_rows(rows, route.name):
                    queued.held.append(
                        _insert(
                            con,
                            route.name,
                            event,
                            "trigger",
                            wall,
                            event_id=event_id,
                            state="held",
                            reason=reason,
                        )
                    )
                    held_by.append(route.name)
                continue
            queued.pending.append(
                _insert(con, route.name, event, "trigger", wall, event_id=event_id)
            )
        elif action == "ack":
            if firing:
                queued.pending.append(
                    _insert(con, route.name, event, "acknowledge", wall, event_id=event_id)
                )
        else:  # resolve (by hand), resolved, retracted
            kind = "retract" if action == "retracted" else "resolve"
            held = _held_rows(rows, route.name)
            if held:
                execute(
                    con,
                    "notify_set_state",
                    {
                        "ids": held,
                        "from_state": "held",
                        "state": "skipped",
                        "reason": f"{'retracted' if kind == 'retract' else 'resolved'} "
                        "while held back; never sent",
                    },
                )
            if firing:
                queued.pending.append(
                    _insert(con, route.name, event, kind, wall, event_id=event_id)
                )
    if held_by:
        add_event(con, alert_id, now, SYSTEM, "notify_held", routes=held_by, reason=reason)


@dataclass(frozen=True)
class Ready:
    """A group's rows due to be sent now: one route, one model (or one test or handoff)."""

    route: str
    model: str | None
    ids: tuple[int, ...]


@dataclass
class Plan:
    """What a sender finds in the outbox: the groups due now, when the next one will be
    (None: nothing waits), and what it put back or released on the way."""

    ready: list[Ready]
    next_due: datetime | None
    pending: int
    released: int = 0
    repeats: int = 0


def _group_due(
    rows: list[dict[str, Any]],
    last_sent: datetime | None,
    active: bool,
    settings: Settings,
    force: bool,
) -> datetime:
    """When a group's waiting rows may go, Alertmanager's way: a new group waits
    `group_wait` from its first row, a group already told waits `group_interval` since
    its last message. Tests and handoffs go at once; so does everything when `force`."""
    first: datetime = min(r["created_at"] for r in rows)
    if force or rows[0]["model"] is None:
        return first
    timers = settings.config.alerting
    if active and last_sent is not None:
        later: datetime = last_sent + timers.group_interval
        return max(first, later)
    waited: datetime = first + timers.group_wait
    return waited


def prepare(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    now: datetime,
    wall: datetime,
    *,
    force: bool = False,
    only: Iterable[int] | None = None,
) -> Plan:
    """Inside a write transaction: queue what the alert events since the last pass ask
    for, take back rows of senders that are gone, release held rows whose alert is no
    longer held (or skip them, the alert having ended), hold pending ones whose alert is
    now held, queue repeats of groups quiet for `repeat_interval`; then say which
    groups are due at `wall`. `only`: consider just these rows (a test, a handoff)."""
    queue_alert_changes(con, settings, now, wall)
    routes = {r.name for r in settings.config.alerting.notify}
    silences = active_silences(fetch_rows(con, "silences_all"), now)
    digest = in_digest(con, settings, now)
    rows = fetch_rows(con, "notify_unfinished")
    released = 0
    for row in rows:
        alive = _alive(int(row["notification_id"]), row["claimed_by"], row["claimed_at"], wall)
        if row["state"] == "sending" and not alive:
            execute(
                con,
                "notify_release",
                {"ids": [row["notification_id"]], "claimed_by": row["claimed_by"]},
            )
            row["state"] = "pending"
            released += 1
    for row in rows:
        if row["alert_id"] is None or row["event"] not in FIRING:
            continue
        alert = _alert_of(row)
        reason = held_back(alert, silences, now, digest)
        if row["state"] == "held" and row["alert_state"] != "open":
            _move(con, row, "skipped", f"the alert is {row['alert_state']}; never sent")
        elif row["state"] == "held" and reason is None:
            _move(con, row, "pending", "")
            add_event(
                con,
                int(row["alert_id"]),
                now,
                SYSTEM,
                "notify_released",
                routes=[row["route"]],
            )
        elif row["state"] == "pending" and reason is not None:
            _move(con, row, "held", reason)
            add_event(
                con,
                int(row["alert_id"]),
                now,
                SYSTEM,
                "notify_held",
                routes=[row["route"]],
                reason=reason,
            )
    repeats = _queue_repeats(con, settings, rows, silences, digest, now, wall)
    if repeats:
        rows = fetch_rows(con, "notify_unfinished")
    wanted = set(only) if only is not None else None
    waiting = [
        r
        for r in rows
        if r["state"] == "pending"
        and r["route"] in routes
        and (wanted is None or r["notification_id"] in wanted)
    ]
    return _plan(con, settings, waiting, wall, force, released, repeats)


def _alert_of(row: dict[str, Any]) -> dict[str, Any]:
    """An outbox row's alert as `held_back` reads it."""
    return {**row, "state": row["alert_state"], "model": row["alert_model"]}


def _move(con: duckdb.DuckDBPyConnection, row: dict[str, Any], state: str, reason: str) -> None:
    execute(
        con,
        "notify_set_state",
        {
            "ids": [row["notification_id"]],
            "from_state": row["state"],
            "state": state,
            "reason": reason,
        },
    )
    row["state"] = state


def _queue_repeats(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    unfinished: list[dict[str, Any]],
    silences: list[dict[str, Any]],
    digest: frozenset[int],
    now: datetime,
    wall: datetime,
) -> int:
    """Tell again of alerts still firing, unacknowledged and not held, in groups that
    sent nothing for `repeat_interval`: the whole group again, as Alertmanager does."""
    every = settings.config.alerting.repeat_interval
    routes = {r.name for r in settings.config.alerting.notify}
    busy = {(r["route"], r["alert_id"]) for r in unfinished}
    last_sent = {
        (str(r["route"]), str(r["model"])): r["last_sent_at"]
        for r in fetch_rows(con, "notify_group_sent")
    }
    added = 0
    for row in fetch_rows(con, "notify_known_firing"):
        key = (str(row["route"]), str(row["model"]))
        sent = last_sent.get(key)
        if row["route"] not in routes or sent is None or sent + every > wall:
            continue
        if row["alert_state"] != "open":
            continue
        if (row["route"], row["alert_id"]) in busy or row["acked_at"] is not None:
            continue
        if held_back({**row, "state": row["alert_state"]}, silences, now, digest) is not None:
            continue
        _insert(con, str(row["route"]), row, "repeat", wall)
        added += 1
    return added


def _plan(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    waiting: list[dict[str, Any]],
    wall: datetime,
    force: bool,
    released: int,
    repeats: int,
) -> Plan:
    last_sent = {
        (str(r["route"]), str(r["model"])): r["last_sent_at"]
        for r in fetch_rows(con, "notify_group_sent")
    }
    active = {(str(r["route"]), str(r["model"])) for r in fetch_rows(con, "notify_known_firing")}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in waiting:
        group = str(row["model"]) if row["model"] is not None else f"#{row['notification_id']}"
        groups.setdefault((str(row["route"]), group), []).append(row)
    ready: list[Ready] = []
    next_due: datetime | None = None
    for (route, group), rows in sorted(groups.items()):
        key = (route, group)
        due = _group_due(rows, last_sent.get(key), key in active, settings, force)
        retry = [r["next_attempt_at"] for r in rows if r["next_attempt_at"] is not None]
        if retry:
            due = max(due, min(retry))
        if due <= wall:
            ids = [
                int(r["notification_id"])
                for r in rows
                if r["next_attempt_at"] is None or r["next_attempt_at"] <= wall
            ]
            ready.append(Ready(route, rows[0]["model"], tuple(ids)))
        elif next_due is None or due < next_due:
            next_due = due
    return Plan(ready, next_due, len(waiting), released, repeats)


def claim(con: duckdb.DuckDBPyConnection, ids: Iterable[int], wall: datetime) -> list[int]:
    """Take rows for sending (those still pending); the ids this sender now holds."""
    rows = fetch_rows(
        con, "notify_claim", {"ids": list(ids), "claimed_by": sender_id(), "at": wall}
    )
    return sorted(int(r["notification_id"]) for r in rows)


def finish(
    store: Store,
    ids: Iterable[int],
    state: str,
    *,
    reason: str = "",
    status_code: int | None = None,
    sent_at: datetime | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    """Record how an attempt ended, in its own short transaction."""
    with store.write() as con:
        execute(
            con,
            "notify_finish",
            {
                "ids": list(ids),
                "claimed_by": sender_id(),
                "state": state,
                "reason": reason,
                "status_code": status_code,
                "sent_at": sent_at,
                "next_attempt_at": next_attempt_at,
            },
        )


def queue_message(
    con: duckdb.DuckDBPyConnection, route: str, event: str, body: str, wall: datetime
) -> int:
    """Queue a test message or a shift's handoff for a route; its id."""
    return _insert(con, route, None, event, wall, body=body)


@dataclass(frozen=True)
class Notification:
    """One row of the outbox as `oncall notify status` shows it."""

    id: int
    route: str
    model: str | None
    alert_id: int | None
    dedup_key: str | None
    event: str
    state: str
    reason: str
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: int
    sent_at: datetime | None
    status_code: int | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Notification:
        """From a row of `notify_list`."""
        return cls(
            id=int(row["notification_id"]),
            route=str(row["route"]),
            model=row["model"],
            alert_id=row["alert_id"],
            dedup_key=row["fingerprint"],
            event=str(row["event"]),
            state=str(row["state"]),
            reason=str(row["reason"]),
            created_at=row["created_at"],
            next_attempt_at=row["next_attempt_at"],
            attempts=int(row["attempts"]),
            sent_at=row["sent_at"],
            status_code=row["status_code"],
        )

    def to_json(self) -> dict[str, Any]:
        """The row as scripts see it."""
        return {
            "id": self.id,
            "route": self.route,
            "model": self.model,
            "alert_id": self.alert_id,
            "dedup_key": self.dedup_key,
            "event": self.event,
            "state": self.state,
            "reason": self.reason,
            "created_at": self.created_at,
            "next_attempt_at": self.next_attempt_at,
            "attempts": self.attempts,
            "sent_at": self.sent_at,
            "status_code": self.status_code,
        }


@dataclass(frozen=True)
class OutboxStatus:
    """Counts per route and state, and the latest rows."""

    counts: dict[str, dict[str, int]]
    rows: list[Notification]

    def to_json(self) -> dict[str, Any]:
        """The status as scripts see it."""
        return {"counts": self.counts, "notifications": [r.to_json() for r in self.rows]}


def outbox_status(
    store: Store, state: str | None = None, route: str | None = None, limit: int = 50
) -> OutboxStatus:
    """What the outbox holds: how many rows per route and state, and the newest rows."""
    with store.read() as con:
        counts: dict[str, dict[str, int]] = {}
        for r in fetch_rows(con, "notify_counts"):
            counts.setdefault(str(r["route"]), {})[str(r["state"])] = int(r["n"])
        rows = fetch_rows(con, "notify_list", {"state": state, "route": route, "limit": limit})
    return OutboxStatus(counts, [Notification.from_row(r) for r in rows])


def detail_json(detail: str | None) -> dict[str, Any]:
    """A stored JSON detail as a mapping ({} when empty)."""
    if not detail:
        return {}
    data = json.loads(detail)
    return data if isinstance(data, dict) else {}
