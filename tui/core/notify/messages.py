"""What a receiver is sent, in each receiver's own shape.

- PagerDuty: Events API v2, one event per notification (`trigger`, `acknowledge`,
  `resolve`), the alert's fingerprint as `dedup_key`, so one episode is one incident.
- Slack: an incoming-webhook message of Block Kit blocks, one per group.
- Webhook: Alertmanager's webhook payload (version "4"), one per group, so receivers
  written for Alertmanager work unchanged.

Each names the model, kind, feature, slice, value against threshold, since when, how
often the alert's type was acted on, the runbook note and the command that opens it.
No secret is part of a message here: the sender adds PagerDuty's routing key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tui.core.alerts.records import Alert, TrackRecord
from tui.core.words import num, slice_text, what

# Alertmanager's "no end yet".
NO_END = "0001-01-01T00:00:00Z"
# Slack's limits: a header's text, a section's text, blocks in one message.
SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000
SLACK_BLOCKS_MAX = 50
SLACK_ALERTS_SHOWN = 10
PD_SUMMARY_MAX = 1024

EVENT_WORDS = {
    "trigger": "firing",
    "escalate": "escalated to critical",
    "repeat": "still firing",
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "retract": "retracted (the windows pass with more labels)",
    "test": "test",
    "handoff": "shift handoff",
}


def iso(moment: datetime | None) -> str:
    """A stored (naive UTC) time as RFC 3339."""
    return NO_END if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AlertFacts:
    """One notification's alert (as it is when sent), in the words every message uses."""

    notification_id: int
    event: str
    alert: Alert

    @classmethod
    def from_row(
        cls, row: dict[str, Any], record: TrackRecord | None, runbook: str | None
    ) -> AlertFacts:
        """From a row of `notify_get`, its type's track record and runbook text."""
        alert = Alert.from_row(row, str(row["state"]), record, runbook)
        return cls(int(row["notification_id"]), str(row["event"]), alert)

    # What every message names first, read from the alert.
    @property
    def alert_id(self) -> int:
        return self.alert.id

    @property
    def fingerprint(self) -> str:
        return self.alert.fingerprint

    @property
    def model(self) -> str:
        return self.alert.model

    @property
    def kind(self) -> str:
        return self.alert.kind

    @property
    def severity(self) -> str:
        return self.alert.severity

    @property
    def ending(self) -> bool:
        """Whether this tells the receiver the alert is over."""
        return self.event in ("resolve", "retract")

    @property
    def command(self) -> str:
        """The command that opens the alert."""
        return f"oncall alerts show {self.alert_id}"

    @property
    def about(self) -> str:
        """`fraud drift amount region=EU`: model, kind, feature and slice."""
        return " ".join(
            x for x in (self.model, self.kind, what(self.alert.feature, self.alert.slice)) if x
        )

    @property
    def measured(self) -> str:
        """`value 0.31 vs threshold 0.25`."""
        return f"value {num(self.alert.value)} vs threshold {num(self.alert.threshold)}"

    @property
    def since(self) -> str:
        """`since 2026-11-20 14:00 UTC`."""
        return f"since {self.alert.first_seen:%Y-%m-%d %H:%M} UTC"

    @property
    def track(self) -> str:
        """`acted on 3 of the last 12` (alerts of this type), or that it is the first."""
        rec = self.alert.track_record
        if rec is None or rec.episodes == 0:
            return "first alert of its type"
        return f"acted on {rec.acted} of the last {rec.episodes}"

    @property
    def summary(self) -> str:
        """One line: what, how bad, since when; as a PagerDuty summary, at most 1024."""
        word = EVENT_WORDS.get(self.event, self.event)
        text = (
            f"[{self.severity}] {self.about}: {self.measured}, {self.since} — {word} "
            f"(#{self.alert_id})"
        )
        return text[:PD_SUMMARY_MAX]

    def details(self) -> dict[str, Any]:
        """Everything a receiver may want as fields."""
        return {
            "alert_id": self.alert_id,
            "event": self.event,
            "model": self.model,
            "check": self.alert.check,
            "kind": self.kind,
            "feature": self.alert.feature,
            "slice": slice_text(self.alert.slice) or None,
            "severity": self.severity,
            "value": self.alert.value,
            "threshold": self.alert.threshold,
            "since": iso(self.alert.first_seen),
            "last_seen": iso(self.alert.last_seen),
            "track_record": self.track,
            "runbook": self.alert.runbook,
            "acked_by": self.alert.acked_by,
            "command": self.command,
        }


# PagerDuty ---------------------------------------------------------------------------

PD_SEVERITY = {"critical": "critical", "warning": "warning"}
PD_ACTION = {
    "trigger": "trigger",
    "escalate": "trigger",
    "repeat": "trigger",
    "acknowledge": "acknowledge",
    "resolve": "resolve",
    "retract": "resolve",
}


def pagerduty_event(facts: AlertFacts) -> dict[str, Any]:
    """One Events API v2 event (the sender adds `routing_key`)."""
    action = PD_ACTION[facts.event]
    event: dict[str, Any] = {"event_action": action, "dedup_key": facts.fingerprint}
    if action == "trigger":
        event["payload"] = {
            "summary": facts.summary,
            "source": f"oncall/{facts.model}",
            "severity": PD_SEVERITY.get(facts.severity, "error"),
            "timestamp": iso(facts.alert.last_seen),
            "component": facts.model,
            "group": facts.kind,
            "class": facts.alert.check,
            "custom_details": facts.details(),
        }
        event["client"] = "oncall"
    return event


def pagerduty_message(event: str, body: str, notification_id: int, now: datetime) -> dict[str, Any]:
    """A test event for PagerDuty: an info-level trigger of its own dedup key."""
    return {
        "event_action": "trigger",
        "dedup_key": f"oncall-{event}-{notification_id}",
        "payload": {
            "summary": body[:PD_SUMMARY_MAX],
            "source": "oncall",
            "severity": "info",
            "timestamp": iso(now),
        },
        "client": "oncall",
    }


# Slack --------------------------------------------------------------------------------


def mrkdwn(text: str) -> str:
    """User text made safe for Slack's mrkdwn: the three characters it reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _clip(text, SLACK_HEADER_MAX), "emoji": True},
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SLACK_TEXT_MAX)}}


def _context(*texts: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _clip(t, SLACK_TEXT_MAX)} for t in texts[:10]],
    }


def _alert_lines(facts: AlertFacts) -> str:
    word = EVENT_WORDS.get(facts.event, facts.event)
    lines = [
        f"*{mrkdwn(facts.severity.upper())}* {mrkdwn(facts.about)} — {mrkdwn(word)}",
        f"{mrkdwn(facts.measured)}, {mrkdwn(facts.since)}",
        f"Type: {mrkdwn(facts.track)}",
    ]
    if facts.alert.acked_by and facts.event == "acknowledge":
        lines.append(f"Acknowledged by {mrkdwn(facts.alert.acked_by)}")
    if facts.alert.runbook:
        lines.append(f"Runbook: {mrkdwn(facts.alert.runbook)}")
    lines.append(f"`{facts.command}`")
    return "\n".join(lines)


def slack_alerts(route: str, model: str, alerts: list[AlertFacts]) -> dict[str, Any]:
    """A group's message: a header, one section per alert (at most ten, then a count)."""
    firing = [a for a in alerts if not a.ending]
    head = f"{model}: {len(firing)} firing" if firing else f"{model}: {len(alerts)} resolved"
    if firing and len(firing) < len(alerts):
        head += f", {len(alerts) - len(firing)} resolved"
    blocks: list[dict[str, Any]] = [_header(head)]
    for facts in alerts[:SLACK_ALERTS_SHOWN]:
        blocks.append(_section(_alert_lines(facts)))
    if len(alerts) > SLACK_ALERTS_SHOWN:
        more = len(alerts) - SLACK_ALERTS_SHOWN
        blocks.append(_section(f"… and {more} more: `oncall alerts list --model {model}`"))
    blocks.append(_context(f"oncall · route {mrkdwn(route)}"))
    text = "; ".join(a.summary for a in alerts[:3])
    return {"text": _clip(f"{head}: {text}", SLACK_TEXT_MAX), "blocks": blocks}


def slack_text(title: str, body: str) -> dict[str, Any]:
    """A test message or a handoff report as blocks: a header and the text, cut into
    sections Slack accepts (the report's end is said to be cut when it does not fit)."""
    blocks: list[dict[str, Any]] = [_header(title)]
    chunk = SLACK_TEXT_MAX - 100
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [""]
    room = SLACK_BLOCKS_MAX - 3
    for part in parts[:room]:
        blocks.append(_section(mrkdwn(part) or " "))
    if len(parts) > room:
        blocks.append(_section("… cut here: the whole report is `oncall handoff`"))
    blocks.append(_context("oncall"))
    return {"text": _clip(f"{title}: {body}", SLACK_TEXT_MAX), "blocks": blocks}


# Alertmanager webhook -----------------------------------------------------------------


def _labels(facts: AlertFacts) -> dict[str, str]:
    labels = {
        "alertname": f"{facts.model}/{facts.kind}",
        "model": facts.model,
        "kind": facts.kind,
        "check": facts.alert.check,
        "severity": facts.severity,
    }
    if facts.alert.feature:
        labels["feature"] = facts.alert.feature
    for key, value in sorted((facts.alert.slice or {}).items()):
        labels.setdefault(str(key), str(value))
    return labels


def _annotations(facts: AlertFacts) -> dict[str, str]:
    out = {
        "summary": facts.summary,
        "description": f"{facts.about}: {facts.measured}, {facts.since}; {facts.track}",
        "value": num(facts.alert.value),
        "threshold": num(facts.alert.threshold),
        "track_record": facts.track,
        "command": facts.command,
        "event": facts.event,
    }
    if facts.alert.runbook:
        out["runbook"] = facts.alert.runbook
    if facts.alert.acked_by:
        out["acked_by"] = facts.alert.acked_by
    return out


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(m.get(k) == v for m in maps[1:])}


def group_key(route: str, model: str) -> str:
    """Alertmanager's groupKey: the route's matchers, then the group's labels."""
    return f'{{}}/{{route="{route}"}}:{{model="{model}"}}'


def webhook_alerts(route: str, model: str, alerts: list[AlertFacts]) -> dict[str, Any]:
    """Alertmanager's webhook payload (version 4) for a group."""
    items: list[dict[str, Any]] = []
    for facts in alerts:
        ended = facts.ending
        items.append(
            {
                "status": "resolved" if ended else "firing",
                "labels": _labels(facts),
                "annotations": _annotations(facts),
                "startsAt": iso(facts.alert.first_seen),
                "endsAt": iso(facts.alert.resolved_at) if ended else NO_END,
                "generatorURL": "",
                "fingerprint": facts.fingerprint,
            }
        )
    firing = any(item["status"] == "firing" for item in items)
    return {
        "version": "4",
        "groupKey": group_key(route, model),
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": route,
        "groupLabels": {"model": model},
        "commonLabels": _common([i["labels"] for i in items]),
        "commonAnnotations": _common([i["annotations"] for i in items]),
        "externalURL": "",
        "alerts": items,
    }


def webhook_text(
    route: str, event: str, body: str, notification_id: int, now: datetime
) -> dict[str, Any]:
    """A test message or a handoff in the webhook shape: one alert that ends by itself
    five minutes on, so it leaves nothing firing at the receiver."""
    labels = {"alertname": f"oncall_{event}", "severity": "info"}
    fingerprint = hashlib.sha256(f"{event}:{notification_id}".encode()).hexdigest()[:16]
    annotations = {"summary": body.splitlines()[0] if body else event, "description": body}
    return {
        "version": "4",
        "groupKey": f'{{}}/{{route="{route}"}}:{{alertname="oncall_{event}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": route,
        "groupLabels": {"alertname": f"oncall_{event}"},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": iso(now),
                "endsAt": iso(now + timedelta(minutes=5)),
                "generatorURL": "",
                "fingerprint": fingerprint,
            }
        ],
    }


def encode(message: dict[str, Any]) -> bytes:
    """A message as the JSON bytes posted."""
    return json.dumps(message, ensure_ascii=False, default=str).encode("utf-8")
