"""Delivering the outbox: group, claim, send with no store connection open, record.

`flush` is the sender's loop: it asks the outbox which groups are due (Alertmanager's
timers, and each row's time of next retry), sends them, and waits for the next one
while it is allowed to (`wait`). It never holds the store while it waits on a
receiver: each claim and each answer is its own short transaction.

Two clocks are at play: the data's "now" (`--now`, a replay), at which silences and
snoozes are judged, and the wall clock, by which messages are timed; a test gives a
fake wall clock and the timers run without anyone waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import duckdb

from tui.core.alerts.reading import runbooks, track_records
from tui.core.alerts.records import RunbookNote, TrackRecord
from tui.core.config.notify import Target, target_of
from tui.core.config.settings import Settings
from tui.core.config.times import Clock
from tui.core.errors import UsageError
from tui.core.notify import messages
from tui.core.notify.messages import AlertFacts
from tui.core.notify.outbox import IN_FLIGHT, Ready, claim, finish, prepare, queue_message
from tui.core.notify.sender import Outcome, backoff, post
from tui.core.store.connection import Store, fetch_rows

# A notification that could not be delivered for this long is given up on.
GIVE_UP_AFTER = timedelta(days=1)
# How long one nap of a waiting sender is at most, so a stop request is heard soon.
NAP = 0.2


class WallClock(Protocol):
    """The clock messages are timed by (the real one, or a test's)."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """The wall clock, naive UTC, to the microsecond."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))


@dataclass
class FlushReport:
    """What a flush did: messages sent, failed for good, to be retried; what is left."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    pending: int = 0
    next_due: datetime | None = None
    errors: list[str] = field(default_factory=list)
    by_route: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The report as scripts see it."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retried": self.retried,
            "pending": self.pending,
            "next_due": self.next_due,
            "errors": self.errors,
            "sent_by_route": self.by_route,
        }


def targets_of(settings: Settings) -> dict[str, Target]:
    """Every route's receiver, its secrets read from the environment; a ConfigError
    naming the route when one is missing."""
    return {route.name: target_of(route) for route in settings.config.alerting.notify}


def flush(
    store: Store,
    settings: Settings,
    data_clock: Clock,
    clock: WallClock | None = None,
    *,
    wait: timedelta = timedelta(0),
    force: bool = False,
    only: Iterable[int] | None = None,
    stop: Callable[[], bool] | None = None,
) -> FlushReport:
    """Send every notification that is due, and keep going for what comes due (a group's
    wait, a retry) within `wait`. `force`: send every waiting group now, timers or not
    (a watch that is stopping). `only`: just these rows. `stop`: asked between sends."""
    wall = clock or RealClock()
    targets = targets_of(settings)
    wanted = list(only) if only is not None else None
    report = FlushReport()
    deadline = wall.now() + wait
    while True:
        # One transaction finds what is due and claims it, with what the messages say.
        with store.write() as con:
            plan = prepare(con, settings, data_clock.now(), wall.now(), force=force, only=wanted)
            batches = [] if stop and stop() else _claim_all(con, plan.ready, wall.now())
        report.pending, report.next_due = plan.pending, plan.next_due
        claimed = {int(r["notification_id"]) for b in batches for r in b.rows}
        IN_FLIGHT.update(claimed)
        try:
            for batch in batches:
                _send_batch(store, targets[batch.group.route], batch, wall, report)
        finally:
            IN_FLIGHT.difference_update(claimed)
        if batches:
            continue
        if plan.next_due is None or plan.next_due > deadline or (stop and stop()):
            break
        _nap_until(wall, plan.next_due, stop)
    return report


def _nap_until(wall: WallClock, moment: datetime, stop: Callable[[], bool] | None) -> None:
    while True:
        left = (moment - wall.now()).total_seconds()
        if left <= 0 or (stop and stop()):
            return
        wall.sleep(min(left, NAP))


@dataclass(frozen=True)
class Batch:
    """A due group's rows this sender claimed, and what their messages say."""

    group: Ready
    rows: list[dict[str, Any]]
    facts: dict[int, AlertFacts]


def _claim_all(con: duckdb.DuckDBPyConnection, ready: list[Ready], at: datetime) -> list[Batch]:
    """Claim every due group (inside the planning transaction) and read its rows."""
    batches: list[Batch] = []
    records: dict[tuple[str, str, str | None], TrackRecord] | None = None
    notes: dict[tuple[str, str, str], RunbookNote] = {}
    for group in ready:
        ids = claim(con, group.ids, at)
        if not ids:
            continue  # another sender took them
        if records is None:
            records, notes = track_records(con), runbooks(con)
        rows = fetch_rows(con, "notify_get", {"ids": ids})
        facts: dict[int, AlertFacts] = {}
        for row in rows:
            if row["alert_id"] is None:
                continue
            note = notes.get((row["model"], row["kind"], row["feature"] or ""))
            record = records.get((row["model"], row["kind"], row["feature"]))
            facts[int(row["notification_id"])] = AlertFacts.from_row(
                row, record, note.text if note else None
            )
        batches.append(Batch(group, rows, facts))
    return batches


def _send_batch(
    store: Store, target: Target, batch: Batch, wall: WallClock, report: FlushReport
) -> None:
    """Send a claimed batch and record each answer as soon as it comes."""
    rows, facts = batch.rows, batch.facts
    if target.route.kind == "pagerduty":
        # The Events API takes one event per request: each row its own, in order, each
        # recorded as soon as it is answered (a crash then repeats at most that one).
        for row in rows:
            nid = int(row["notification_id"])
            body = _pagerduty_body(row, facts.get(nid), wall.now())
            body = {"routing_key": target.routing_key, **body}
            _record(store, [row], post(target, messages.encode(body), wall.now()), wall, report)
        return
    message = _group_message(target, batch.group, rows, facts, wall.now())
    _record(store, rows, post(target, messages.encode(message), wall.now()), wall, report)


def _pagerduty_body(row: dict[str, Any], facts: AlertFacts | None, now: datetime) -> dict[str, Any]:
    if facts is None:
        return messages.pagerduty_message(
            str(row["event"]), str(row["body"]), int(row["notification_id"]), now
        )
    return messages.pagerduty_event(facts)


def _group_message(
    target: Target,
    group: Ready,
    rows: list[dict[str, Any]],
    facts: dict[int, AlertFacts],
    now: datetime,
) -> dict[str, Any]:
    route = target.route.name
    plain = [r for r in rows if r["alert_id"] is None]
    if plain:
        row = plain[0]
        event, body = str(row["event"]), str(row["body"])
        if target.route.kind == "slack":
            title = "oncall: shift handoff" if event == "handoff" else "oncall: test message"
            return messages.slack_text(title, body)
        return messages.webhook_text(route, event, body, int(row["notification_id"]), now)
    # One entry per alert: the latest thing to tell of it.
    latest: dict[int, AlertFacts] = {}
    for row in rows:
        f = facts[int(row["notification_id"])]
        latest[f.alert_id] = f
    alerts = list(latest.values())
    model = str(group.model)
    if target.route.kind == "slack":
        return messages.slack_alerts(route, model, alerts)
    return messages.webhook_alerts(route, model, alerts)


def _record(
    store: Store,
    rows: list[dict[str, Any]],
    outcome: Outcome,
    wall: WallClock,
    report: FlushReport,
) -> None:
    ids = [int(r["notification_id"]) for r in rows]
    now = wall.now()
    route = str(rows[0]["route"])
    if outcome.delivered:
        finish(store, ids, "sent", status_code=outcome.status, sent_at=now)
        report.sent += len(ids)
        report.by_route[route] = report.by_route.get(route, 0) + len(ids)
        return
    attempts = max(int(r["attempts"]) + 1 for r in rows)
    first = min(r["queued_at"] for r in rows)
    if outcome.retry and now - first < GIVE_UP_AFTER:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff(attempts)
        finish(
            store,
            ids,
            "pending",
            reason=outcome.error,
            status_code=outcome.status,
            next_attempt_at=now + timedelta(seconds=wait),
        )
        report.retried += len(ids)
        return
    reason = outcome.error
    if outcome.retry:
        reason = f"gave up after {attempts} tries: {reason}"
    finish(store, ids, "failed", reason=reason, status_code=outcome.status)
    report.failed += len(ids)
    report.errors.append(f"route {route!r}: {reason}")


def send_message(
    store: Store,
    settings: Settings,
    route_name: str,
    event: str,
    body: str,
    data_clock: Clock,
    clock: WallClock | None = None,
    *,
    wait: timedelta = timedelta(seconds=30),
) -> tuple[int, FlushReport]:
    """Queue a test message or a handoff for one route and deliver it now (retrying
    within `wait`); its notification id and what the flush did."""
    route = settings.config.alerting.route(route_name)
    target_of(route)  # a missing secret is told before anything is queued
    if event == "handoff" and route.kind == "pagerduty":
        raise UsageError(
            f"route {route_name!r} is a pagerduty route: it pages on alerts; send the "
            "handoff to a slack or webhook route"
        )
    wall = clock or RealClock()
    with store.write() as con:
        nid = queue_message(con, route_name, event, body, wall.now())
    report = flush(store, settings, data_clock, wall, wait=wait, force=True, only=[nid])
    return nid, report
