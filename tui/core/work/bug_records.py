"""The bug queue's vocabulary and records: priorities, statuses, root causes, and the
typed `Bug`, its links and history events as both faces read them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.core.errors import NotFoundError, UsageError

PRIORITIES = ("P0", "P1", "P2", "P3")
STATUSES = ("new", "triaged", "in_progress", "mitigated", "resolved", "wontfix", "duplicate")
# What went wrong, in the categories the field studies found bugs fall into.
ROOT_CAUSES = (
    "data_leakage",
    "flipped_labels",
    "missing_feature_data",
    "schema_change",
    "upstream_stall",
    "corrupted_default",
    "mangled_characters",
    "distribution_shift",
    "label_delay",
    "deploy_regression",
    "other",
)
OPEN = ("new", "triaged", "in_progress", "mitigated")
MITIGATIONS = ("rule_or_filter", "fallback_model", "rollback", "retrain", "data_fix", "none")
RESOLUTIONS = {"fixed": "resolved", "wontfix": "wontfix", "duplicate": "duplicate"}
FIELDS = (
    "title",
    "description",
    "priority",
    "tags",
    "status",
    "duplicate_of",
    "assignee",
    "root_cause",
    "mitigation",
    "mitigation_note",
)


class NoSuchBug(NotFoundError):
    """No bug has this id (each face says where the ids are listed)."""

    def __init__(self, bug_id: int) -> None:
        super().__init__(f"no bug with id {bug_id}")
        self.bug_id = bug_id


class NothingLinked(UsageError):
    """An export of a bug that links no prediction and no slice."""

    def __init__(self, bug_id: int) -> None:
        super().__init__(
            f"bug {bug_id} links no predictions; link example predictions, or a slice and "
            "its window, first"
        )
        self.bug_id = bug_id


@dataclass(frozen=True)
class Bug:
    """A bug as it now is: the `bugs` row, plus whether it is still open."""

    id: int
    title: str
    description: str
    model: str
    priority: str
    tags: tuple[str, ...]
    status: str
    duplicate_of: int | None
    assignee: str | None
    reporter: str
    root_cause: str | None
    mitigation: str | None
    mitigation_note: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Bug:
        """A `bugs` row (`bug_get`, `bugs_all`) as a record."""
        duplicate_of = row["duplicate_of"]
        return cls(
            id=int(row["bug_id"]),
            title=row["title"],
            description=row["description"],
            model=row["model"],
            priority=row["priority"],
            tags=tuple(row["tags"] or ()),
            status=row["status"],
            duplicate_of=None if duplicate_of is None else int(duplicate_of),
            assignee=row["assignee"],
            reporter=row["reporter"],
            root_cause=row["root_cause"],
            mitigation=row["mitigation"],
            mitigation_note=row["mitigation_note"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=int(row["version"]),
        )

    @property
    def open(self) -> bool:
        """Still to be worked on: new, triaged, in progress or mitigated."""
        return self.status in OPEN

    def fields(self) -> dict[str, Any]:
        """The editable fields (FIELDS) by name, as events record them (tags a list)."""
        values = {k: getattr(self, k) for k in FIELDS}
        values["tags"] = list(self.tags)
        return values

    def to_json(self) -> dict[str, Any]:
        """The bug as scripts see it (`oncall bugs list --json`)."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "model": self.model,
            "priority": self.priority,
            "tags": list(self.tags),
            "status": self.status,
            "duplicate_of": self.duplicate_of,
            "assignee": self.assignee,
            "reporter": self.reporter,
            "root_cause": self.root_cause,
            "mitigation": self.mitigation,
            "mitigation_note": self.mitigation_note,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
            "open": self.open,
        }


@dataclass(frozen=True)
class BugLink:
    """What a bug is linked to: an alert, a prediction, a slice over a window, a bug."""

    kind: str
    target: str
    window_start: datetime | None
    window_end: datetime | None
    created_at: datetime
    created_by: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BugLink:
        """A `bug_links` row as a record."""
        return cls(
            kind=row["kind"],
            target=str(row["target"]),
            window_start=row["window_start"],
            window_end=row["window_end"],
            created_at=row["created_at"],
            created_by=row["created_by"],
        )

    @property
    def slice(self) -> dict[str, Any] | None:
        """A slice link's filter (`{"market": "FR"}`); None for other kinds."""
        return dict(json.loads(self.target)) if self.kind == "slice" else None

    def to_json(self) -> dict[str, Any]:
        """The link as `oncall bugs show --json` lists it."""
        return {
            "kind": self.kind,
            "target": self.target,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class BugEvent:
    """One entry of a bug's history: who did what, when, and the bug's version after."""

    event_id: int
    acted_at: datetime
    actor: str
    action: str
    # What the action carries varies by action (a changed field, a comment's text, a
    # link's target), as recorded in the append-only log.
    detail: dict[str, Any]
    version: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BugEvent:
        """A `bug_events` row (its detail still JSON text) as a record."""
        detail = row["detail"]
        return cls(
            event_id=int(row["event_id"]),
            acted_at=row["acted_at"],
            actor=row["actor"],
            action=row["action"],
            detail=dict(json.loads(detail) if isinstance(detail, str) else detail),
            version=int(row["version"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The event as `oncall bugs show --json` lists it."""
        return {
            "event_id": self.event_id,
            "acted_at": self.acted_at,
            "actor": self.actor,
            "action": self.action,
            "detail": self.detail,
            "version": self.version,
        }


@dataclass(frozen=True)
class BugDetail:
    """A bug with its links and its whole history, oldest event first."""

    bug: Bug
    links: tuple[BugLink, ...]
    events: tuple[BugEvent, ...]

    def to_json(self) -> dict[str, Any]:
        """The bug's fields, then `links` and `events` (`oncall bugs show --json`)."""
        return {
            **self.bug.to_json(),
            "links": [k.to_json() for k in self.links],
            "events": [e.to_json() for e in self.events],
        }


@dataclass
class NewBug:
    """What filing a bug needs."""

    title: str
    model: str
    priority: str = "P2"
    description: str = ""
    tags: tuple[str, ...] = ()
    root_cause: str | None = None
    assignee: str | None = None
    alerts: tuple[int, ...] = ()
    predictions: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


def event_text(event: BugEvent) -> str:
    """What a history event did, in a few words: "status: new → triaged", the
    comment, the resolution or the link target."""
    detail = event.detail
    if event.action == "changed":
        return f"{detail['field']}: {detail['old']} → {detail['new']}"
    return str(detail.get("text") or detail.get("resolution") or detail.get("target") or "")


def replay(events: Iterable[BugEvent]) -> dict[str, Any]:
    """Rebuild a bug's fields (FIELDS, model, reporter, times, version) by name from its
    history alone; the events may stop early, to see the bug as it was then."""
    state: dict[str, Any] = {}
    for e in events:
        detail = e.detail
        if e.action == "created":
            state = {k: detail.get(k) for k in FIELDS}
            state["model"] = detail["model"]
            state["reporter"] = e.actor
            state["created_at"] = e.acted_at
        elif e.action == "changed":
            state[detail["field"]] = detail["new"]
        state["version"] = e.version
        state["updated_at"] = e.acted_at
    return state
