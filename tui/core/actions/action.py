"""An action a person takes on an alert or a bug, as one typed value: what both faces
build, the door performs, and the outbox keeps while the store is busy."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tui.core.session.login import os_login


class ActionKind(StrEnum):
    """What the action does; the values are what the outbox and the store record."""

    ACK = "ack"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    NOTE = "note"
    MARK_NOISE = "mark_noise"
    MARK_ACTIONABLE = "mark_actionable"
    BUG_COMMENT = "bug_comment"
    BUG_EDIT = "bug_edit"


BUG_KINDS = frozenset({ActionKind.BUG_COMMENT, ActionKind.BUG_EDIT})

# How each kind is said back once it is done ("acked #5").
DONE_WORDS = {
    ActionKind.ACK: "acked",
    ActionKind.SNOOZE: "snoozed",
    ActionKind.RESOLVE: "resolved",
    ActionKind.NOTE: "noted on",
    ActionKind.MARK_NOISE: "marked as noise",
    ActionKind.MARK_ACTIONABLE: "marked as actionable",
    ActionKind.BUG_COMMENT: "commented on bug",
    ActionKind.BUG_EDIT: "edited bug",
}


@dataclass(frozen=True)
class Action:
    """One alert or bug action, with the id its client made so it applies exactly once.
    A bug action names its bug in `bug_id` (`alert_id` is 0); an edit carries its
    `changes` and the bug `version` it was made on."""

    action_id: str
    kind: ActionKind
    alert_id: int
    actor: str
    at: datetime
    text: str = ""
    minutes: float = 0
    bug_id: int = 0
    changes: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    version: int | None = None
    # The OS login of whoever took it: a replay by another process checks and records
    # this one. Empty in lines written before it was kept.
    login: str = field(default_factory=os_login)

    @classmethod
    def new(
        cls,
        kind: ActionKind,
        alert_id: int,
        actor: str,
        at: datetime,
        text: str = "",
        minutes: float = 0,
    ) -> Action:
        """An action with a fresh client-made id."""
        return cls(uuid.uuid4().hex, ActionKind(kind), alert_id, actor, at, text, minutes)

    @classmethod
    def on_bug(
        cls,
        kind: ActionKind,
        bug_id: int,
        actor: str,
        at: datetime,
        text: str = "",
        changes: dict[str, Any] | None = None,
        version: int | None = None,
    ) -> Action:
        """A bug comment or edit with a fresh client-made id."""
        kind = ActionKind(kind)
        if kind not in BUG_KINDS:
            raise ValueError(f"{kind} is not a bug action")
        return cls(
            uuid.uuid4().hex,
            kind,
            0,
            actor,
            at,
            text,
            bug_id=bug_id,
            changes=dict(changes or {}),
            version=version,
        )

    @property
    def target(self) -> str:
        """What it acts on, in words: ``#5`` (an alert) or ``bug #3``."""
        return f"bug #{self.bug_id}" if self.kind in BUG_KINDS else f"#{self.alert_id}"

    def to_json(self) -> str:
        """One outbox line."""
        data: dict[str, Any] = {**self.__dict__, "kind": str(self.kind), "at": self.at.isoformat()}
        return json.dumps(data, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, line: str) -> Action:
        """An action from an outbox line; ValueError if it is not one."""
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            data["at"] = datetime.fromisoformat(data["at"])
            data["kind"] = ActionKind(data["kind"])
            action = cls(**data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an outbox action: {exc}") from exc
        if not isinstance(action.action_id, str) or not action.action_id:
            raise ValueError("not an outbox action: no action_id")
        if not isinstance(action.changes, dict):
            raise ValueError("not an outbox action: changes is not a mapping")
        return action
