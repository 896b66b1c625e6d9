"""An action a person takes on an alert, as one typed value: what both faces build,
the door performs, and the outbox keeps while the store is busy."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ActionKind(StrEnum):
    """What the action does; the values are what the outbox and the store record."""

    ACK = "ack"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    NOTE = "note"
    MARK_NOISE = "mark_noise"
    MARK_ACTIONABLE = "mark_actionable"


# How each kind is said back once it is done ("acked #5").
DONE_WORDS = {
    ActionKind.ACK: "acked",
    ActionKind.SNOOZE: "snoozed",
    ActionKind.RESOLVE: "resolved",
    ActionKind.NOTE: "noted on",
    ActionKind.MARK_NOISE: "marked as noise",
    ActionKind.MARK_ACTIONABLE: "marked as actionable",
}


@dataclass(frozen=True)
class Action:
    """One alert action, with the id its client made so it applies exactly once."""

    action_id: str
    kind: ActionKind
    alert_id: int
    actor: str
    at: datetime
    text: str = ""
    minutes: float = 0

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

    def to_json(self) -> str:
        """One outbox line."""
        data: dict[str, Any] = {**self.__dict__, "kind": str(self.kind), "at": self.at.isoformat()}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Action:
        """An action from an outbox line; ValueError or KeyError if it is not one."""
        data = json.loads(line)
        data["at"] = datetime.fromisoformat(data["at"])
        data["kind"] = ActionKind(data["kind"])
        return cls(**data)
