"""The outbox: a user's action is never lost because the store was busy.

An action that cannot get the store's lock in time is appended to a local JSON-lines
file beside the store (fsynced, with an id the client made). The next time the store
can be written, each waiting action is applied in one transaction together with the
record of its id in `applied_actions`, so it takes effect exactly once even if the
replay is interrupted and repeated.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tui.core import alerts
from tui.core.config import Settings
from tui.core.errors import OncallError, StoreBusyError, StoreError
from tui.core.roles import refuse_shadow, require_can_change
from tui.core.store import Store, execute, fetch_rows


@dataclass(frozen=True)
class Action:
    """One alert action a person took, as the outbox keeps it."""

    action_id: str
    kind: str  # ack | snooze | resolve | note | mark_noise | mark_actionable
    alert_id: int
    actor: str
    at: datetime
    text: str = ""
    minutes: int = 0

    def to_json(self) -> str:
        return json.dumps({**self.__dict__, "at": self.at.isoformat()}, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Action:
        data = json.loads(line)
        data["at"] = datetime.fromisoformat(data["at"])
        return cls(**data)


def new_action(
    kind: str, alert_id: int, actor: str, at: datetime, text: str = "", minutes: int = 0
) -> Action:
    """An action with a fresh client-made id."""
    return Action(uuid.uuid4().hex, kind, alert_id, actor, at, text, minutes)


def outbox_path(store: Store) -> Path:
    """The outbox file beside the store."""
    return store.path.with_name(f".{store.path.name}.outbox.jsonl")


def append(store: Store, action: Action) -> None:
    """Keep an action on disk until it can be applied (fsynced before returning)."""
    path = outbox_path(store)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(action.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def pending(store: Store) -> list[Action]:
    """The actions waiting in the outbox (applied ones may linger until the next flush)."""
    path = outbox_path(store)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(Action.from_json(line))
    return out


def _apply(con: duckdb.DuckDBPyConnection, settings: Settings, a: Action) -> None:
    if a.kind == "ack":
        alerts.ack_in(con, a.alert_id, a.actor, a.at, a.text)
    elif a.kind == "snooze":
        alerts.snooze_in(con, a.alert_id, a.actor, a.at, timedelta(minutes=a.minutes))
    elif a.kind == "resolve":
        alerts.resolve_in(con, a.alert_id, a.actor, a.at, a.text)
    elif a.kind == "note":
        alerts.note_in(con, a.alert_id, a.actor, a.at, a.text)
    elif a.kind in ("mark_noise", "mark_actionable"):
        alerts.mark_in(
            con,
            a.alert_id,
            a.actor,
            a.at,
            a.text if a.kind == "mark_noise" else None,
            a.kind == "mark_actionable",
        )
    else:
        raise OncallError(f"unknown outbox action {a.kind!r}")


def perform(store: Store, settings: Settings, action: Action) -> None:
    """Apply one action now, exactly once (its id is recorded in the same transaction)."""
    require_can_change(settings, action.actor)
    with store.write() as con:
        if fetch_rows(con, "outbox_applied", {"action_id": action.action_id}):
            return
        refuse_shadow(con, action.actor)
        _apply(con, settings, action)
        execute(
            con,
            "outbox_mark_applied",
            {
                "action_id": action.action_id,
                "kind": action.kind,
                "actor": action.actor,
                "at": action.at,
            },
        )


def perform_or_queue(store: Store, settings: Settings, action: Action) -> bool:
    """Apply the action, or keep it in the outbox if the store stays busy. True if applied."""
    try:
        perform(store, settings, action)
        return True
    except StoreBusyError:
        append(store, action)
        return False


def flush(
    store: Store, settings: Settings, on_error: Callable[[Action, OncallError], None] | None = None
) -> int:
    """Apply every waiting action; return how many were applied now. A busy or failing
    store leaves the rest for later; an action refused for good (its alert is gone) is
    taken out of the outbox and reported through `on_error`."""
    waiting = pending(store)
    if not waiting:
        return 0
    applied = 0
    keep: list[Action] = []
    for i, action in enumerate(waiting):
        try:
            perform(store, settings, action)
            applied += 1
        except (StoreBusyError, StoreError):
            # The store is busy or failing for now: keep this and the rest for later.
            keep = waiting[i:]
            break
        except OncallError as exc:
            # A permanent refusal (the alert is gone, the action is invalid): report it.
            if on_error is not None:
                on_error(action, exc)
    _rewrite(store, keep)
    return applied


def _rewrite(store: Store, keep: list[Action]) -> None:
    path = outbox_path(store)
    if not keep:
        path.unlink(missing_ok=True)
        return
    temp = path.with_suffix(".tmp")
    with temp.open("w", encoding="utf-8") as handle:
        for action in keep:
            handle.write(action.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)


def describe(action: Action) -> dict[str, Any]:
    """An action for display."""
    return {
        "id": action.action_id,
        "kind": action.kind,
        "alert": action.alert_id,
        "actor": action.actor,
        "at": action.at,
    }
