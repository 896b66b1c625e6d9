"""Typed records of the alerts' read side: what `list_alerts` and `show_alert` return.

Each record has one `to_json()`, the object the command line prints as JSON and
scripts read; both faces read the same record from the same call. Datetimes stay
datetimes in `to_json()`: the command line serialises them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.core.checks.results import slice_of


@dataclass(frozen=True)
class TrackRecord:
    """How an alert type fared: episodes, how many were acted on or noise, and how fast
    they were resolved."""

    episodes: int
    acted: int
    noise: int
    actionability: float | None
    median_minutes_to_resolve: float | None
    last_noise_by: str | None
    last_noise_at: datetime | None
    # Alerts on estimates whose labels have since arrived, and how many the estimate
    # got right (the estimate and the realised value on the same side of the SLO).
    estimates_checked: int = 0
    estimates_right: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TrackRecord:
        """From a row of `alerts_track_record`."""
        episodes = int(row["episodes"])
        return cls(
            episodes=episodes,
            acted=int(row["acted"]),
            noise=int(row["noise"]),
            actionability=int(row["acted"]) / episodes if episodes else None,
            median_minutes_to_resolve=row["median_minutes"],
            last_noise_by=row["last_noise_by"],
            last_noise_at=row["last_noise_at"],
            estimates_checked=int(row.get("estimates_checked") or 0),
            estimates_right=int(row.get("estimates_right") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        """The track record as the JSON object scripts see."""
        return {
            "episodes": self.episodes,
            "acted": self.acted,
            "noise": self.noise,
            "actionability": self.actionability,
            "median_minutes_to_resolve": self.median_minutes_to_resolve,
            "last_noise_by": self.last_noise_by,
            "last_noise_at": self.last_noise_at,
            "estimates_checked": self.estimates_checked,
            "estimates_right": self.estimates_right,
        }


@dataclass(frozen=True)
class Alert:
    """An alert as of a moment: what it is about, its status then, its numbers, who
    handled it, its type's track record and the latest runbook note's text."""

    id: int
    fingerprint: str
    model: str
    check: str
    kind: str
    feature: str | None
    slice: dict[str, Any] | None
    severity: str
    status: str
    first_seen: datetime
    last_seen: datetime
    count: int
    value: float | None
    worst_value: float | None
    threshold: float | None
    detail: dict[str, Any]
    acked_by: str | None
    snoozed_until: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    marked: str | None
    actionability: float | None
    track_record: TrackRecord | None
    runbook: str | None

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        status: str,
        record: TrackRecord | None,
        runbook: str | None,
    ) -> Alert:
        """From a row of the alerts table, its status as of now, its type's track record
        and runbook text."""
        return cls(
            id=int(row["alert_id"]),
            fingerprint=row["fingerprint"],
            model=row["model"],
            check=row["check_name"],
            kind=row["kind"],
            feature=row["feature"],
            slice=slice_of(row["slice"]),
            severity=row["severity"],
            status=status,
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            count=int(row["count"]),
            value=row["value"],
            worst_value=row["worst_value"],
            threshold=row["threshold"],
            detail=json.loads(row["detail"]) if row["detail"] else {},
            acked_by=row["acked_by"],
            snoozed_until=row["snoozed_until"],
            resolved_at=row["resolved_at"],
            resolved_by=row["resolved_by"],
            marked=row["marked"],
            actionability=record.actionability if record else None,
            track_record=record,
            runbook=runbook,
        )

    @property
    def period(self) -> str | None:
        """The calendar month(s) its latest window covers (``2026-11``), for an alert
        judged over months; None for windows of fixed length."""
        period = self.detail.get("period")
        return str(period) if period else None

    @property
    def type_key(self) -> tuple[str, str, str | None]:
        """(model, kind, feature): the alert's type, as track records are keyed."""
        return (self.model, self.kind, self.feature)

    def to_json(self) -> dict[str, Any]:
        """The alert as the JSON object the command line and scripts see."""
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "model": self.model,
            "check": self.check,
            "kind": self.kind,
            "feature": self.feature,
            "slice": self.slice,
            "severity": self.severity,
            "status": self.status,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
            "value": self.value,
            "worst_value": self.worst_value,
            "threshold": self.threshold,
            "detail": self.detail,
            "acked_by": self.acked_by,
            "snoozed_until": self.snoozed_until,
            "resolved_at": self.resolved_at,
            "resolved_by": self.resolved_by,
            "marked": self.marked,
            "actionability": self.actionability,
            "track_record": self.track_record.to_json() if self.track_record else None,
            "runbook": self.runbook,
        }


@dataclass(frozen=True)
class RunbookNote:
    """The latest note left on an alert type (feature is '' for a model-wide type)."""

    model: str
    kind: str
    feature: str
    text: str
    author: str
    written_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunbookNote:
        """From a row of `runbook_latest`."""
        return cls(
            row["model"], row["kind"], row["feature"], row["text"], row["author"], row["written_at"]
        )

    def to_json(self) -> dict[str, Any]:
        """The note as scripts see it."""
        return {
            "model": self.model,
            "kind": self.kind,
            "feature": self.feature,
            "text": self.text,
            "author": self.author,
            "written_at": self.written_at,
        }


@dataclass(frozen=True)
class LinkedBug:
    """A bug linked to an alert, as the alert's detail names it."""

    bug_id: int
    title: str
    status: str
    root_cause: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LinkedBug:
        """From a row of `bugs_linked_to_alert`."""
        return cls(row["bug_id"], row["title"], row["status"], row["root_cause"])

    def to_json(self) -> dict[str, Any]:
        """The bug as scripts see it in an alert's detail."""
        return {
            "bug_id": self.bug_id,
            "title": self.title,
            "status": self.status,
            "root_cause": self.root_cause,
        }


@dataclass(frozen=True)
class AlertEvent:
    """One step of an alert's history: opened, acked, a note, resolved…"""

    event_id: int
    acted_at: datetime
    actor: str
    action: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AlertEvent:
        """From a row of `alert_events`."""
        return cls(
            row["event_id"], row["acted_at"], row["actor"], row["action"], json.loads(row["detail"])
        )

    def to_json(self) -> dict[str, Any]:
        """The event as scripts see it."""
        return {
            "event_id": self.event_id,
            "acted_at": self.acted_at,
            "actor": self.actor,
            "action": self.action,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ResultPoint:
    """One window's result of the alert's measurement."""

    window_start: datetime
    window_end: datetime
    value: float | None
    threshold: float | None
    status: str
    n: int | None
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ResultPoint:
        """From a row of `results_of_episode`."""
        return cls(
            row["window_start"],
            row["window_end"],
            row["value"],
            row["threshold"],
            row["status"],
            row["n"],
            json.loads(row["detail"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The result as scripts see it."""
        return {
            "window_start": self.window_start,
            "window_end": self.window_end,
            "value": self.value,
            "threshold": self.threshold,
            "status": self.status,
            "n": self.n,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class DriftPicture:
    """For a drift alert: the baseline's and the last window's shares over the same bins."""

    labels: tuple[str, ...]
    baseline: tuple[float, ...]
    current: tuple[float, ...]
    window: tuple[datetime, ...]
    baseline_window: tuple[datetime, ...]

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> DriftPicture:
        """From what `drift_view` computes."""
        return cls(
            tuple(view["labels"]),
            tuple(view["baseline"]),
            tuple(view["current"]),
            tuple(view["window"]),
            tuple(view["baseline_window"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The picture as scripts see it."""
        return {
            "labels": list(self.labels),
            "baseline": list(self.baseline),
            "current": list(self.current),
            "window": list(self.window),
            "baseline_window": list(self.baseline_window),
        }


@dataclass(frozen=True)
class AlertDetail:
    """One alert in full: the alert, its type's runbook note, linked bugs, the drift
    picture (drift alerts only), its history and its measurement's recent results
    (oldest first)."""

    alert: Alert
    runbook: RunbookNote | None
    bugs: tuple[LinkedBug, ...]
    drift: DriftPicture | None
    events: tuple[AlertEvent, ...]
    results: tuple[ResultPoint, ...]

    def to_json(self) -> dict[str, Any]:
        """The alert's JSON with `runbook` as the whole note, then bugs, drift, events
        and results."""
        return {
            **self.alert.to_json(),
            "runbook": self.runbook.to_json() if self.runbook else None,
            "bugs": [b.to_json() for b in self.bugs],
            "drift": self.drift.to_json() if self.drift else None,
            "events": [e.to_json() for e in self.events],
            "results": [r.to_json() for r in self.results],
        }
