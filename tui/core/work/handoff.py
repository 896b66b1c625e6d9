"""The handoff report: what happened in a shift and what the next person inherits."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from tui.core.alerts.reading import list_alerts
from tui.core.alerts.records import Alert
from tui.core.checks.results import slice_of
from tui.core.config.settings import Settings
from tui.core.store.connection import Store, fetch_rows
from tui.core.tuning.surfacing import read_digest
from tui.core.words import num, slice_text, what
from tui.core.work.bugs import OPEN, list_bugs, replay, show_bug
from tui.core.work.shifts import shadows_of, shift_of


def _type(model: str, kind: str, feature: str | None, slice_: Any = None) -> str:
    """An alert type, or one alert, in words: `fraud drift amount region=EU`."""
    return " ".join(x for x in (model, kind, what(feature, slice_)) if x)


def _by_type(alerts: list[Alert]) -> dict[tuple[str, str, str | None], list[int]]:
    out: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    for a in alerts:
        out[a.type_key].append(a.id)
    return out


def handoff(
    store: Store, settings: Settings, shift_id: int | None, now: datetime
) -> dict[str, Any]:
    """The report of a shift (default: the current or last primary one) as data and
    Markdown: SLO status per model, what fired by type, what was done, open items with
    owners, the alert types that were noise, and a line per bug."""
    shift = shift_of(store, shift_id, now)
    start = shift.started_at
    end = shift.ended_at or now
    every = list_alerts(store, end, status="all")
    fired = [a for a in every if start <= a.first_seen < end and a.status != "retracted"]
    with store.read() as con:
        actions = fetch_rows(con, "alert_events_between", {"start": start, "end": end})
        bug_events = fetch_rows(con, "bug_events_between", {"start": start, "end": end})
        slos = fetch_rows(con, "slo_results_between", {"start": start, "end": end})
        silences = [s for s in fetch_rows(con, "silences_all") if start <= s["starts_at"] < end]
    # What was open when the shift ended, not what is open today.
    open_alerts = [
        a
        for a in every
        if a.first_seen < end
        and a.status != "retracted"
        and (a.resolved_at is None or a.resolved_at > end)
    ]
    touched_bugs = sorted({int(e["bug_id"]) for e in bug_events})
    bugs = {b.id: b for b in list_bugs(store, "all")}
    # Each bug as it was when the shift ended (status and owner), as its JSON object.
    open_bugs: list[dict[str, Any]] = []
    for b in bugs.values():
        if b.created_at >= end:
            continue
        at_end = replay([e for e in show_bug(store, b.id).events if e.acted_at < end])
        if at_end.get("status") in OPEN:
            open_bugs.append(
                {**b.to_json(), "status": at_end["status"], "assignee": at_end.get("assignee")}
            )

    policy = settings.config.alerting.surface
    digest = read_digest(store, policy, end)
    groups: dict[tuple[str, str, str | None], list[Alert]] = defaultdict(list)
    for a in fired:
        groups[a.type_key].append(a)
    noise: list[dict[str, Any]] = []
    for key, members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")):
        quiet = [
            a
            for a in members
            if a.marked == "noise"
            or (
                a.status == "resolved"
                and a.resolved_by is None
                and not a.acked_by
                and a.marked is None
            )
        ]
        if quiet and len(quiet) == len(members):
            noise.append(
                {
                    "type": _type(*key),
                    "alerts": len(members),
                    "by": sorted(
                        {
                            (a.track_record and a.track_record.last_noise_by) or "nobody"
                            for a in quiet
                        }
                    ),
                }
            )

    lines = [
        f"# Handoff: shift {shift.id} — {shift.engineer} ({shift.role})",
        "",
        f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC"
        + (" (still open)" if shift.open else ""),
        "",
    ]
    shadows = shadows_of(store, shift)
    if shadows:
        lines += [f"Shadows: {', '.join(shadows)}", ""]
    lines += ["## SLO status", ""]
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in slos:
        by_model[str(r["model"])].append(r)
    for model in settings.config.models:
        if not settings.model(model).slos:
            continue
        rows = by_model.get(model, [])
        if not rows:
            lines.append(f"- **{model}**: no SLO window ended in this shift")
            continue
        failing = [r for r in rows if r["status"] in ("warning", "critical")]
        insufficient = [r for r in rows if r["status"] == "insufficient"]
        state = "breached" if failing else "met" if not insufficient else "insufficient labels"
        lines.append(f"- **{model}**: {state}")
        for r in failing + insufficient[:3]:
            where = slice_text(slice_of(r["slice"])) or "overall"
            lines.append(
                f"  - {r['check_name']} {where}: {num(r['value'])} "
                f"(threshold {num(r['threshold'])}, {r['status']})"
            )
    lines += ["", f"## What fired ({len(fired)} alerts)", ""]
    for (model, kind, feature), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        worst = "critical" if any(a.severity == "critical" for a in members) else "warning"
        ids = ", ".join(f"#{a.id}" for a in members)
        slices = sorted({slice_text(a.slice) for a in members if a.slice})
        extra = f"; slices {', '.join(slices)}" if slices else ""
        lines.append(f"- {_type(model, kind, feature)} — {len(members)} ({worst}){extra}: {ids}")
    if not fired:
        lines.append("- nothing fired")
    lines += ["", "## What was done", ""]
    timeline: list[tuple[datetime, str]] = []
    for e in actions:
        detail = json.loads(e["detail"])
        said = detail.get("note") or detail.get("text") or detail.get("reason") or ""
        about = _type(e["model"], e["kind"], e["feature"], slice_of(e["slice"]))
        timeline.append(
            (
                e["acted_at"],
                f"{e['actor']} {e['action']} alert #{e['alert_id']} "
                f"({about})" + (f": {said}" if said else ""),
            )
        )
    for s in silences:
        timeline.append(
            (
                s["starts_at"],
                f"{s['created_by']} silenced {slice_text(json.loads(s['matchers']))} "
                f"until {s['ends_at']:%m-%d %H:%M}" + (f": {s['note']}" if s["note"] else ""),
            )
        )
    for e in bug_events:
        detail = json.loads(e["detail"])
        if e["action"] == "created":
            done = f"filed bug #{e['bug_id']} “{e['title']}” ({detail.get('priority')})"
        elif e["action"] == "changed":
            done = f"set {detail['field']} of bug #{e['bug_id']} to {detail['new']}"
        elif e["action"] == "link":
            done = f"linked bug #{e['bug_id']} to {detail['kind']} {detail['target']}"
        elif e["action"] == "comment":
            done = f"commented on bug #{e['bug_id']}: {detail['text']}"
        else:
            done = f"closed bug #{e['bug_id']} as {detail.get('resolution')}"
        timeline.append((e["acted_at"], f"{e['actor']} {done}"))
    for at, text in sorted(timeline, key=lambda t: t[0]):
        lines.append(f"- {at:%m-%d %H:%M} {text}")
    if not timeline:
        lines.append("- no actions recorded")
    lines += ["", "## Open items handed over", ""]
    for a in open_alerts:
        owner = a.acked_by or "unowned"
        lines.append(
            f"- alert #{a.id} {_type(a.model, a.kind, a.feature, a.slice)}"
            f" — {a.severity}, open since {a.first_seen:%m-%d %H:%M}, owner {owner}"
        )
    for ob in sorted(open_bugs, key=lambda ob: (ob["priority"], ob["id"])):
        lines.append(
            f"- bug #{ob['id']} [{ob['priority']}] {ob['title']} — {ob['status']}, "
            f"owner {ob['assignee'] or 'unassigned'}"
        )
    if not open_alerts and not open_bugs:
        lines.append("- nothing open")
    lines += ["", "## Noise this shift", ""]
    for n in noise:
        lines.append(f"- {n['type']}: {n['alerts']} alert(s), dismissed by {', '.join(n['by'])}")
    if not noise:
        lines.append("- none")
    held = [a for a in fired if a.id in digest.held_ids]
    if policy is not None:
        lines += ["", f"## Held in the digest ({len(held)} alerts)", ""]
        for (model, kind, feature), held_ids in sorted(
            _by_type(held).items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
        ):
            standing = digest.standings.get((model, kind, feature))
            record = (
                f", acted on {standing.acted} of its last {standing.counted}" if standing else ""
            )
            lines.append(
                f"- {_type(model, kind, feature)} — {len(held_ids)}{record}: "
                + ", ".join(f"#{i}" for i in held_ids)
            )
        if not held:
            lines.append("- none: every alert of the shift was surfaced")
    lines += ["", "## Bugs", ""]
    shown = sorted(set(touched_bugs))
    for bug_id in shown:
        bug = bugs[bug_id]
        cause = f", root cause {bug.root_cause}" if bug.root_cause else ""
        fix = f", mitigation {bug.mitigation}" if bug.mitigation else ""
        lines.append(f"- #{bug_id} [{bug.priority}] {bug.title} — {bug.status}{cause}{fix}")
    if not shown:
        lines.append("- no bug was filed or changed")
    return {
        "shift": shift.to_json(),
        "shadows": shadows,
        "start": start,
        "end": end,
        "fired": [a.to_json() for a in fired],
        "actions": actions,
        "bug_events": bug_events,
        "silences": silences,
        "open_alerts": [a.to_json() for a in open_alerts],
        "open_bugs": open_bugs,
        "noise": noise,
        "digest": {"policy": policy is not None, "held": [a.id for a in held]},
        "bugs": [bugs[i].to_json() for i in shown],
        "slos": slos,
        "markdown": "\n".join(lines) + "\n",
    }
