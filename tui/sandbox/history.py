"""A scenario's history in the store: its incidents, past shifts and veterans' decisions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tui.core import alerts
from tui.core.actions import Action, ActionKind, perform
from tui.core.alerts.records import Alert
from tui.core.checks.kinds import detection_tolerance
from tui.core.checks.results import slice_of
from tui.core.config.settings import Settings
from tui.core.config.times import Clock
from tui.core.session import Session
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.words import slice_pairs
from tui.core.work import bugs
from tui.sandbox.scenario import EXPECTED_KIND
from tui.sandbox.simulator import World

FEATURE_KINDS = ("completeness", "bounds", "allowed_values", "distinct", "drift", "schema")


def load_history(store: Store, world: World) -> None:
    """Write the world's incidents, shifts and decisions in one transaction."""
    incidents = {inc.id: inc for inc in world.spec.incidents}
    with store.write() as con:
        for row in world.incidents():
            execute(con, "history_incident_insert", row)
        for shift in world.spec.shifts:
            common = {
                "started_at": world.at(shift.start),
                "ended_at": world.at(shift.end),
                "source": "scenario",
            }
            primary_id = int(
                fetch_rows(
                    con,
                    "history_shift_insert",
                    {
                        "engineer": shift.primary,
                        "role": "primary",
                        "primary_of": None,
                        **common,
                    },
                )[0]["shift_id"]
            )
            for shadow in shift.shadows:
                execute(
                    con,
                    "history_shift_insert",
                    {
                        "engineer": shadow,
                        "role": "shadow",
                        "primary_of": primary_id,
                        **common,
                    },
                )
            for decision in shift.decisions:
                inc = incidents[decision.incident]
                execute(
                    con,
                    "history_decision_insert",
                    {
                        "shift_id": primary_id,
                        "incident_id": inc.id,
                        "model": inc.model,
                        "kind": EXPECTED_KIND[inc.type],
                        "action": decision.action,
                        "root_cause": inc.root_cause if decision.action == "bug" else None,
                        "note": decision.note,
                        "delay_minutes": decision.after_minutes,
                        "bug_title": decision.bug_title,
                        "priority": decision.priority,
                        "mitigation": decision.mitigation,
                    },
                )


def incident_alerts(
    settings: Settings, incident: dict[str, Any], alert_rows: list[Alert]
) -> list[Alert]:
    """The alerts an incident should have raised: its model, the kind its
    type is expected to raise, its feature and slice, first seen soon enough after its
    start (see `detection_tolerance`)."""
    kind = EXPECTED_KIND[incident["type"]]
    model = settings.model(incident["model"])
    tolerance = detection_tolerance(settings, model, kind)
    want_slice = slice_of(incident["slice"])
    want_feature = incident["feature"] if kind in FEATURE_KINDS else None
    start: datetime = incident["start_ts"]
    return [
        a
        for a in alert_rows
        if a.model == incident["model"]
        and a.kind == kind
        and a.feature == want_feature
        and a.slice == want_slice
        and start <= a.first_seen <= start + tolerance
    ]


def apply_decisions(store: Store, settings: Settings) -> None:
    """Replay the veterans' past decisions onto the alerts their incidents raised, at the
    time they made them, and have each shift's primary mark the other alerts that
    opened in the shift as noise (the scenario's `noise_note`)."""
    with store.read() as con:
        decisions = fetch_rows(con, "history_decisions")
        shifts = fetch_rows(con, "history_scenario_shifts")
    everything = alerts.list_alerts(store, datetime.max, status="all")
    handled: set[int] = set()

    def act(kind: ActionKind, alert_id: int, actor: str, at: datetime, text: str = "") -> None:
        # Through the same door as a person's action, at the moment the veteran took it.
        perform(
            Session(settings, store, actor, Clock.at(at)),
            Action.new(kind, alert_id, actor, at, text),
        )

    for d in decisions:
        found = incident_alerts(settings, d, everything)
        for alert in found[:1]:
            at = alert.first_seen + timedelta(minutes=int(d["delay_minutes"]))
            actor = str(d["engineer"])
            handled.add(alert.id)
            if d["action"] == "bug":
                act(ActionKind.ACK, alert.id, actor, at, str(d["note"]))
                _file_past_bug(store, settings, d, alert, actor, at)
            elif d["action"] == "acted":
                act(ActionKind.ACK, alert.id, actor, at, str(d["note"]))
                act(ActionKind.MARK_ACTIONABLE, alert.id, actor, at)
            elif d["action"] == "noise":
                act(ActionKind.MARK_NOISE, alert.id, actor, at, str(d["note"]))
    for shift in shifts:
        for alert in everything:
            inside = shift["started_at"] <= alert.first_seen < shift["ended_at"]
            if inside and alert.id not in handled:
                at = alert.first_seen + timedelta(minutes=30)
                act(
                    ActionKind.MARK_NOISE,
                    alert.id,
                    str(shift["engineer"]),
                    at,
                    "seen before: follows from an incident already handled",
                )
                handled.add(alert.id)


def _file_past_bug(
    store: Store,
    settings: Settings,
    d: dict[str, Any],
    alert: Alert,
    actor: str,
    at: datetime,
) -> None:
    """A past bug as the veteran worked it: filed from the alert, commented, investigated,
    mitigated with the scenario's mitigation, resolved when the shift ended."""

    title = str(d["bug_title"] or d["title"])
    bug_id = bugs.file_bug(
        store,
        settings,
        bugs.NewBug(
            title=title,
            model=str(d["model"]),
            priority=str(d["priority"] or "P2"),
            description=f"{d['title']}. Found from alert #{alert.id} ({alert.kind}).",
            tags=(alert.kind, str(d["model"])),
            root_cause=None,
            assignee=actor,
            alerts=(alert.id,),
        ),
        actor,
        at,
    )
    bugs.comment(store, settings, bug_id, actor, at + timedelta(minutes=5), str(d["note"]))
    if alert.slice:
        bugs.link(
            store,
            settings,
            bug_id,
            actor,
            at + timedelta(minutes=8),
            where=slice_pairs(alert.slice),
            since=d["start_ts"],
            until=d["end_ts"],
        )
    bugs.edit_bug(
        store,
        settings,
        bug_id,
        actor,
        at + timedelta(minutes=15),
        {"status": "in_progress", "root_cause": d["root_cause"]},
    )
    mitigation = d["mitigation"]
    if mitigation:
        bugs.edit_bug(
            store,
            settings,
            bug_id,
            actor,
            at + timedelta(hours=2),
            {
                "status": "mitigated",
                "mitigation": mitigation,
                "mitigation_note": f"{mitigation.replace('_', ' ')}: {d['note']}",
            },
        )
    if d["ended_at"] is not None and d["ended_at"] > at + timedelta(hours=2):
        bugs.close(store, settings, bug_id, actor, d["ended_at"] - timedelta(minutes=30), "fixed")
