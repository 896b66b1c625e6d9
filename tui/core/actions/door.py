"""The one door every alert action goes through, from the command line and the app.

`perform` checks who acts (the role rule, in `tui.core.session.roles`), applies the
action and records its id in the same transaction, so it takes effect exactly once
however often it is retried. `perform_or_queue` keeps it in the outbox when the store
stays busy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import duckdb

from tui.core.actions import outbox
from tui.core.actions.action import Action, ActionKind
from tui.core.alerts import changes
from tui.core.errors import OncallError, StoreBusyError, StoreError
from tui.core.session.roles import changing
from tui.core.session.session import Session
from tui.core.store.connection import execute, fetch_rows

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
}


def perform(session: Session, action: Action) -> None:
    """Apply one action now, exactly once (its id is recorded in the same transaction).
    NotAllowedError for a trainee or a shadow, before anything is written."""
    with changing(session.store, session.settings, action.actor) as con:
        if fetch_rows(con, "outbox_applied", {"action_id": action.action_id}):
            return
        HANDLERS[action.kind](con, action)
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


def perform_or_queue(session: Session, action: Action) -> bool:
    """Apply the action, or keep it in the outbox if the store stays busy. True if applied."""
    try:
        perform(session, action)
        return True
    except StoreBusyError:
        outbox.append(session.store, action)
        return False


def flush(session: Session, on_error: Callable[[Action, OncallError], None] | None = None) -> int:
    """Apply every action waiting in the outbox; return how many were applied now. A busy
    or failing store leaves the rest for later; an action refused for good (its alert is
    gone) is taken out of the outbox and reported through `on_error`."""
    waiting = outbox.pending(session.store)
    if not waiting:
        return 0
    applied = 0
    keep: list[Action] = []
    for i, action in enumerate(waiting):
        try:
            perform(session, action)
            applied += 1
        except (StoreBusyError, StoreError):
            # The store is busy or failing for now: keep this and the rest for later.
            keep = waiting[i:]
            break
        except OncallError as exc:
            # A permanent refusal (the alert is gone, the action is invalid): report it.
            if on_error is not None:
                on_error(action, exc)
    outbox.rewrite(session.store, keep)
    return applied
