"""The one door every alert action (and a bug comment or edit taken while the store is
busy) goes through, from the command line and the app.

`perform` checks who acts (the role rule, in `tui.core.session.roles`), applies the
action and records its id in the same transaction, so it takes effect exactly once
however often it is retried. `perform_or_queue` keeps it in the outbox when the store
stays busy; `flush` applies what the outbox holds, and every writer calls it first
(the app on each poll, the command line before each change).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb

from tui.core.actions import outbox
from tui.core.actions.action import Action, ActionKind
from tui.core.alerts import changes
from tui.core.errors import (
    OncallError,
    StoreBusyError,
    StoreDamaged,
    StoreError,
    StoreUnavailable,
)
from tui.core.notify.deliver import RealClock
from tui.core.notify.outbox import queue_alert_changes
from tui.core.session.login import acting_as_login
from tui.core.session.roles import changing
from tui.core.session.session import Session
from tui.core.store.connection import execute, fetch_rows
from tui.core.work import bugs

Handler = Callable[[duckdb.DuckDBPyConnection, Action], object]

HANDLERS: dict[ActionKind, Handler] = {
    ActionKind.ACK: lambda con, a: changes.ack(con, a.alert_id, a.actor, a.at, a.text),
    ActionKind.SNOOZE: lambda con, a: changes.snooze(
        con, a.alert_id, a.actor, a.at, timedelta(minutes=a.minutes)
    ),
    ActionKind.RESOLVE: lambda con, a: changes.resolve(con, a.alert_id, a.actor, a.at, a.text),
    ActionKind.NOTE: lambda con, a: changes.note(con, a.alert_id, a.actor, a.at, a.text),
    ActionKind.MARK_NOISE: lambda con, a: changes.mark(
        con, a.alert_id, a.actor, a.at, noise_reason=a.text
    ),
    ActionKind.MARK_ACTIONABLE: lambda con, a: changes.mark(
        con, a.alert_id, a.actor, a.at, actionable=True
    ),
    ActionKind.BUG_COMMENT: lambda con, a: bugs.add_comment(con, a.bug_id, a.actor, a.at, a.text),
    ActionKind.BUG_EDIT: lambda con, a: bugs.apply_edit(
        con, a.bug_id, a.actor, a.at, a.changes, a.version
    ),
}


def perform(session: Session, action: Action) -> bool:
    """Apply one action now, exactly once (its id is recorded in the same transaction);
    False if it had been applied already. NotAllowedError for a trainee or a shadow,
    before anything is written."""
    with (
        acting_as_login(action.login),
        changing(session.store, session.settings, action.actor) as con,
    ):
        if fetch_rows(con, "outbox_applied", {"action_id": action.action_id}):
            return False
        HANDLERS[action.kind](con, action)
        # An ack or a resolve by hand is told to the routes that heard the alert fire,
        # in the same transaction.
        queue_alert_changes(con, session.settings, action.at, RealClock().now())
        execute(
            con,
            "outbox_mark_applied",
            {
                "action_id": action.action_id,
                "kind": str(action.kind),
                "actor": action.actor,
                "at": action.at,
            },
        )
    return True


def perform_or_queue(session: Session, action: Action) -> bool:
    """Apply the action, or keep it in the outbox if the store stays busy. True if applied."""
    try:
        perform(session, action)
        return True
    except StoreBusyError:
        outbox.append(session.store, action)
        return False


def flush(
    session: Session,
    on_error: Callable[[Action, OncallError], None] | None = None,
    on_quarantine: Callable[[int, Path], None] | None = None,
) -> int:
    """Apply every action waiting in the outbox, as its recorded actor at its recorded
    time; return how many were applied now. A busy or failing store leaves the rest for
    later; an action refused for good (its alert is gone) is taken out of the outbox and
    reported through `on_error`; lines that do not parse are quarantined and reported
    through `on_quarantine` (how many, and where they are kept).

    The outbox is locked only to read it and to remove what was done, by id, never
    while the store is waited on: actions appended meanwhile stay for the next flush.
    A crash between applying and removing is harmless: the id recorded with the change
    makes the next flush skip it.

    A read-only session applies nothing: what others queued waits for a writer (the
    role rule would refuse each action, and a refusal takes it out of the outbox)."""
    if session.settings.read_only:
        return 0
    taken = outbox.take(session.store)
    if taken.quarantined and on_quarantine is not None:
        on_quarantine(taken.quarantined, taken.quarantine)
    applied = 0
    done: list[str] = []
    try:
        for action in taken.actions:
            try:
                if perform(session, action):
                    applied += 1
            except (StoreBusyError, StoreError, StoreUnavailable, StoreDamaged):
                # The store is busy, full or failing for now: keep this and the rest for
                # later (the outbox exists for exactly this).
                break
            except OncallError as exc:
                # A permanent refusal (the alert is gone, the action is invalid): report it.
                if on_error is not None:
                    on_error(action, exc)
            done.append(action.action_id)
    finally:
        outbox.remove(session.store, done)
    return applied
