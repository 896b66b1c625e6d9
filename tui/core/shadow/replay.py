"""Shadow mode: a new engineer replays past shifts (or follows a live one), makes a call
on each alert before seeing what the veteran did, and is scored against it.

What the veteran did is read from the store: an alert counts as acted on when someone
acknowledged it with a note, filed a bug from it or marked it actionable; otherwise
it was let go (marked noise, or left alone). `act` and `bug` count as acting.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from tui.core.alerts.reading import list_alerts, runbooks
from tui.core.alerts.records import Alert
from tui.core.config.settings import Settings
from tui.core.errors import UsageError
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.work.shifts import Shift, shift_of

CALLS = ("act", "watch", "ignore", "bug")
ACTING = ("act", "bug")


def _type(a: Alert) -> str:
    return "/".join(x for x in (a.model, a.kind, a.feature) if x)


def shift_alerts(
    store: Store, settings: Settings, shift_id: int | None, now: datetime
) -> tuple[Shift, list[Alert]]:
    """A shift and the alerts that fired in it, in the order they fired."""
    shift = shift_of(store, shift_id, now)
    if shift.role != "primary":
        raise UsageError(
            f"shift {shift.id} is a shadow shift; replay its primary shift {shift.primary_of}"
        )
    end = shift.ended_at or now
    alerts = [
        a
        for a in list_alerts(store, end, status="all")
        if shift.started_at <= a.first_seen < end and a.status != "retracted"
    ]
    return shift, sorted(alerts, key=lambda a: (a.first_seen, a.id))


def quiz(store: Store, settings: Settings, shift_id: int | None, now: datetime) -> dict[str, Any]:
    """The shift's alerts as they looked when they fired: nothing of what anyone did about
    them, nor what they turned out to be."""
    shift, alerts = shift_alerts(store, settings, shift_id, now)
    seen_before: dict[str, int] = defaultdict(int)
    items = []
    for a in alerts:
        items.append(
            {
                "id": a.id,
                "model": a.model,
                "check": a.check,
                "kind": a.kind,
                "feature": a.feature,
                "slice": a.slice,
                "severity": a.severity,
                "first_seen": a.first_seen,
                "value": a.value,
                "threshold": a.threshold,
                "earlier_alerts_of_this_type": seen_before[_type(a)],
            }
        )
        seen_before[_type(a)] += 1
    return {
        "shift": {
            "id": shift.id,
            "started_at": shift.started_at,
            "ended_at": shift.ended_at,
        },
        "alerts": items,
    }


def veteran_decisions(
    store: Store, settings: Settings, shift_id: int | None, now: datetime
) -> dict[int, dict[str, Any]]:
    """Per alert of the shift: what the veteran did, what it turned out to be (the bug it
    led to and its root cause, or noise), and the runbook note of its type.

    The veteran is the shift's primary, and only what they did up to the end of their
    shift counts: a reviewer's later bug or mark is hindsight, not the call being learnt.
    What it turned out to be may use everything known since."""
    shift, alerts = shift_alerts(store, settings, shift_id, now)
    end = shift.ended_at or now
    primary = settings.canonical_name(shift.engineer).casefold()
    with store.read() as con:
        events = fetch_rows(con, "alert_events_all")
        notes = runbooks(con)
        bug_rows = {
            a.id: fetch_rows(con, "bugs_linked_to_alert", {"alert_id": a.id}) for a in alerts
        }
    by_alert: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if settings.canonical_name(str(e["actor"])).casefold() == primary and e["acted_at"] <= end:
            by_alert[int(e["alert_id"])].append(e)
    out = {}
    for a in alerts:
        done = by_alert.get(a.id, [])
        acted = _acted(done)
        bugs = bug_rows[a.id]
        note = notes.get((a.model, a.kind, a.feature or ""))
        out[a.id] = {
            "acted": acted,
            "veteran": [
                {
                    "at": e["acted_at"],
                    "who": e["actor"],
                    "action": e["action"],
                    "detail": json.loads(e["detail"]),
                }
                for e in done
            ],
            "outcome": (
                {
                    "bug": bugs[0]["bug_id"],
                    "title": bugs[0]["title"],
                    "root_cause": bugs[0]["root_cause"],
                }
                if bugs
                else {"noise": a.marked == "noise" or not acted}
            ),
            "runbook": note.text if note else None,
            "type": _type(a),
        }
    return out


def _acted(events: list[dict[str, Any]]) -> bool:
    """Whether these events (one person's, in order) acted on the alert: a bug filed
    from it, an acknowledgement with a note, or a last mark of actionable."""
    marks = [e["action"] for e in events if str(e["action"]).startswith("mark_")]
    if marks and marks[-1] == "mark_actionable":
        return True
    return any(
        e["action"] == "bug_filed" or (e["action"] == "ack" and json.loads(e["detail"]).get("note"))
        for e in events
    )


def score(
    answers: dict[int, str],
    truth: dict[int, dict[str, Any]],
    seconds: dict[int, float] | None = None,
) -> dict[str, Any]:
    """Agreement with the veteran, recall on the alerts that needed action, false alarms
    on those that did not, decision time, and the types disagreed on most.

    `answers` maps alert id to a call (act, watch, ignore, bug); alerts without one are
    `undecided` and count as not acted on.
    """
    for call in answers.values():
        if call not in CALLS:
            raise UsageError(f"a call is one of {', '.join(CALLS)}, got {call!r}")
    needed = [i for i, t in truth.items() if t["acted"]]
    not_needed = [i for i, t in truth.items() if not t["acted"]]
    acted = {i for i, c in answers.items() if c in ACTING and i in truth}
    agree = sum(1 for i, t in truth.items() if (i in acted) == t["acted"])
    disagreements: dict[str, int] = defaultdict(int)
    for i, t in truth.items():
        if (i in acted) != t["acted"]:
            disagreements[t["type"]] += 1
    times = [v for k, v in (seconds or {}).items() if k in truth]
    return {
        "alerts": len(truth),
        "decisions": len([i for i in answers if i in truth]),
        "undecided": len([i for i in truth if i not in answers]),
        "agreement": agree / len(truth) if truth else None,
        "recall_actionable": len(acted & set(needed)) / len(needed) if needed else None,
        "false_alarm_rate": len(acted & set(not_needed)) / len(not_needed) if not_needed else None,
        "median_decision_seconds": statistics.median(times) if times else None,
        "disagreements": dict(sorted(disagreements.items(), key=lambda kv: -kv[1])),
    }


def record_session(
    store: Store,
    trainee: str,
    kind: str,
    shift_id: int | None,
    scenario: str | None,
    calls: list[dict[str, Any]],
    result: dict[str, Any],
    now: datetime,
) -> int:
    """Keep a scored session and its calls (a trainee's progress across sessions)."""
    with store.write() as con:
        session_id = int(
            fetch_rows(
                con,
                "shadow_session_insert",
                {
                    "trainee": trainee,
                    "kind": kind,
                    "shift_id": shift_id,
                    "scenario": scenario,
                    "at": now,
                },
            )[0]["session_id"]
        )
        for c in calls:
            execute(
                con,
                "shadow_call_insert",
                {
                    "session_id": session_id,
                    "alert_id": c["alert_id"],
                    "call": c["call"],
                    "note": c.get("note", ""),
                    "at": c.get("at", now),
                    "seconds": c.get("seconds"),
                },
            )
        execute(
            con,
            "shadow_session_score",
            {"session_id": session_id, "score": json.dumps(result, default=str), "at": now},
        )
    return session_id


def replay_score(
    store: Store,
    settings: Settings,
    shift_id: int | None,
    trainee: str,
    calls: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """Score a replay's calls against the veteran and store the session."""
    truth = veteran_decisions(store, settings, shift_id, now)
    answers = {int(c["alert_id"]): str(c["call"]) for c in calls}
    unknown = sorted(set(answers) - set(truth))
    if unknown:
        raise UsageError(f"alert(s) {unknown} did not fire in this shift")
    seconds = {
        int(c["alert_id"]): float(c["seconds"]) for c in calls if c.get("seconds") is not None
    }
    result = score(answers, truth, seconds)
    shift, _ = shift_alerts(store, settings, shift_id, now)
    result["session"] = record_session(store, trainee, "replay", shift.id, None, calls, result, now)
    result["shift"] = shift.id
    return result


def progress(store: Store, settings: Settings, trainee: str) -> dict[str, Any]:
    """A trainee's scored sessions and whether the readiness rule says "ready"."""
    policy = settings.config.shadow
    with store.read() as con:
        rows = fetch_rows(con, "shadow_sessions_of", {"trainee": trainee})
    sessions = [{**r, "score": json.loads(r["score"])} for r in rows]
    recent = [s for s in sessions if s["kind"] in ("replay", "follow")][-policy.last_sessions :]
    ready = len(recent) == policy.last_sessions and all(
        (s["score"].get("recall_actionable") or 0) >= policy.min_recall_actionable
        and (s["score"].get("false_alarm_rate") or 0) <= policy.max_false_alarm_rate
        for s in recent
    )
    rule = (
        f"recall on actionable alerts ≥ {policy.min_recall_actionable} and false-alarm rate "
        f"≤ {policy.max_false_alarm_rate} in each of the last {policy.last_sessions} sessions"
    )
    return {"trainee": trainee, "sessions": sessions, "ready": ready, "rule": rule}


def _live_shift(store: Store) -> int:
    """The open primary shift's id, or a UsageError."""
    with store.read() as con:
        rows = fetch_rows(con, "shift_open_primary")
    if not rows:
        raise UsageError("no live primary shift; a past shift can be replayed instead")
    return int(rows[0]["shift_id"])


def follow(store: Store, settings: Settings, trainee: str, now: datetime) -> dict[str, Any]:
    """The live primary shift's alerts for a shadow: each with the shadow's call, and the
    primary's actions only once the shadow has made theirs."""
    shift, alerts = shift_alerts(store, settings, _live_shift(store), now)
    truth = veteran_decisions(store, settings, shift.id, now)
    with store.read() as con:
        rows = fetch_rows(con, "shadow_follow_session", {"trainee": trainee, "shift_id": shift.id})
        calls = (
            {
                int(c["alert_id"]): c
                for c in fetch_rows(con, "shadow_calls_of", {"session_id": rows[0]["session_id"]})
            }
            if rows
            else {}
        )
    items = []
    for a in alerts:
        mine = calls.get(a.id)
        item: dict[str, Any] = {
            "id": a.id,
            "type": _type(a),
            "slice": a.slice,
            "severity": a.severity,
            "first_seen": a.first_seen,
            "your_call": mine["call"] if mine else None,
        }
        if mine:  # revealed only after the shadow's own call
            item["primary"] = truth[a.id]["veteran"]
        items.append(item)
    return {"shift": shift.id, "primary": shift.engineer, "alerts": items}


def call(
    store: Store,
    settings: Settings,
    trainee: str,
    alert_id: int,
    call_: str,
    note: str,
    now: datetime,
) -> None:
    """Record a shadow's call on an alert of the live shift, before the primary's is shown."""
    if call_ not in CALLS:
        raise UsageError(f"a call is one of {', '.join(CALLS)}, got {call_!r}", field="call")
    shift, alerts = shift_alerts(store, settings, _live_shift(store), now)
    if not any(a.id == alert_id for a in alerts):
        raise UsageError(f"alert {alert_id} did not fire in the live shift {shift.id}")
    with store.write() as con:
        rows = fetch_rows(con, "shadow_follow_session", {"trainee": trainee, "shift_id": shift.id})
        if rows:
            session_id = int(rows[0]["session_id"])
        else:
            session_id = int(
                fetch_rows(
                    con,
                    "shadow_session_insert",
                    {
                        "trainee": trainee,
                        "kind": "follow",
                        "shift_id": shift.id,
                        "scenario": None,
                        "at": now,
                    },
                )[0]["session_id"]
            )
        execute(
            con,
            "shadow_call_insert",
            {
                "session_id": session_id,
                "alert_id": alert_id,
                "call": call_,
                "note": note,
                "at": now,
                "seconds": None,
            },
        )
