"""A scenario's history in the store: its incidents, past shifts and veterans' decisions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tui.core import alerts
from tui.core.actions import Action, ActionKind, perform
from tui.core.alerts import changes
from tui.core.alerts.records import Alert
from tui.core.checks.kinds import detection_tolerance
from tui.core.checks.results import slice_of
from tui.core.config.settings import Settings
from tui.core.config.times import Clock
from tui.core.session import Session
from tui.core.session.roles import changing
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.words import slice_pairs
from tui.core.work import bugs
from tui.sandbox.scenario import EXPECTED_KIND, ScenarioSpec, ShiftSpec
from tui.sandbox.simulator import World

FEATURE_KINDS = ("completeness", "bounds", "allowed_values", "distinct", "drift", "schema")
# What a primary notes on an alert that follows from an incident already handled.
FOLLOWS = "seen before: follows from an incident already handled"


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


def apply_decisions(store: Store, settings: Settings, spec: ScenarioSpec | None = None) -> None:
    """Replay the veterans' past decisions onto the alerts their incidents raised, at the
    time they made them, and have each shift's primary deal with the other alerts that
    opened in the shift as the scenario's shift says (`others`): all marked noise, or
    the first of each type marked noise with a reason and its repeats left alone.
    Without `spec`, every other alert is marked noise."""
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
    # The scenario's shifts in time order are the stored ones in time order.
    specs: list[ShiftSpec | None] = [None] * len(shifts)
    if spec is not None:
        specs = [s for s in sorted(spec.shifts, key=lambda s: s.start)]
    for shift, shift_spec in zip(shifts, specs, strict=True):
        marks = _waved_off(shift, shift_spec, everything, handled, decisions)
        if marks:
            _mark_noise(store, settings, str(shift["engineer"]), marks)


def _waved_off(
    shift: dict[str, Any],
    spec: ShiftSpec | None,
    everything: list[Alert],
    handled: set[int],
    decisions: list[dict[str, Any]],
) -> list[tuple[int, datetime, str]]:
    """The alerts a shift's primary marked noise, when and why (see `apply_decisions`);
    every alert that opened in the shift counts as handled. An alert that follows from
    an incident someone handled (see `_follows`) is marked as such."""
    seen: set[tuple[str, str, str | None]] = set()
    out = []
    for alert in sorted(everything, key=lambda a: (a.first_seen, a.id)):
        inside = shift["started_at"] <= alert.first_seen < shift["ended_at"]
        if not inside or alert.id in handled:
            continue
        handled.add(alert.id)
        kind = (alert.model, alert.kind, alert.feature)
        if spec is None or _follows(alert, decisions):
            note = FOLLOWS
        elif spec.others == "first" and kind in seen:
            continue  # the type was waved off earlier in the shift: left alone
        else:
            note = spec.noise_notes.get(alert.kind, spec.noise_note)
        seen.add(kind)
        out.append((alert.id, alert.first_seen + timedelta(minutes=30), note))
    return out


def _follows(alert: Alert, decisions: list[dict[str, Any]]) -> bool:
    """Whether the alert is about a decided incident: same model, the incident's feature
    or none (the model's own metrics), from its start to a day after its end."""
    return any(
        d["model"] == alert.model
        and (alert.feature is None or alert.feature == d["feature"])
        and d["start_ts"] <= alert.first_seen <= d["end_ts"] + timedelta(days=1)
        for d in decisions
    )


def _mark_noise(
    store: Store, settings: Settings, actor: str, marks: list[tuple[int, datetime, str]]
) -> None:
    """Mark a shift's alerts noise, each at its moment, in one transaction: hundreds of
    past marks one connection each would make the demo slow to build."""
    with changing(store, settings, actor) as con:
        for alert_id, at, note in marks:
            changes.mark(con, alert_id, actor, at, noise_reason=note)


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
