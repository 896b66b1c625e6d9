"""The handoff report: what happened in a shift and what the next person inherits."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from tui.core.alerts.reading import list_alerts
from tui.core.config.settings import Settings
from tui.core.store.connection import Store, fetch_rows
from tui.core.work.bugs import OPEN, list_bugs, replay, show_bug
from tui.core.work.shifts import shadows_of, shift_of


def _slice(text: str | dict[str, Any] | None) -> str:
    value = json.loads(text) if isinstance(text, str) else text
    return ",".join(f"{k}={v}" for k, v in sorted((value or {}).items()))


def _what(model: str, kind: str, feature: str | None, slice_: Any = None) -> str:
    return " ".join(x for x in (model, kind, feature or "", _slice(slice_)) if x)


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.3g}"


def handoff(
    store: Store, settings: Settings, shift_id: int | None, now: datetime
) -> dict[str, Any]:
    """The report of a shift (default: the current or last primary one) as data and
    Markdown: SLO status per model, what fired by type, what was done, open items with
    owners, the alert types that were noise, and a line per bug."""
    shift = shift_of(store, shift_id, now)
    start: datetime = shift["started_at"]
    end: datetime = shift["ended_at"] or now
    every = list_alerts(store, end, status="all")
    fired = [a for a in every if start <= a["first_seen"] < end and a["status"] != "retracted"]
    with store.read() as con:
        actions = fetch_rows(con, "alert_events_between", {"start": start, "end": end})
        bug_events = fetch_rows(con, "bug_events_between", {"start": start, "end": end})
        slos = fetch_rows(con, "slo_results_between", {"start": start, "end": end})
        silences = [s for s in fetch_rows(con, "silences_all") if start <= s["starts_at"] < end]
    # What was open when the shift ended, not what is open today.
    open_alerts = [
        a
        for a in every
        if a["first_seen"] < end
        and a["status"] != "retracted"
        and (a["resolved_at"] is None or a["resolved_at"] > end)
    ]
    touched_bugs = sorted({int(e["bug_id"]) for e in bug_events})
    bugs = {b["id"]: b for b in list_bugs(store, "all")}
    open_bugs = []
    for b in bugs.values():
        if b["created_at"] >= end:
            continue
        at_end = replay([e for e in show_bug(store, b["id"])["events"] if e["acted_at"] < end])
        if at_end.get("status") in OPEN:
            open_bugs.append({**b, "status": at_end["status"], "assignee": at_end.get("assignee")})

    groups: dict[tuple[str, str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for a in fired:
        groups[(a["model"], a["kind"], a["feature"])].append(a)
    noise: list[dict[str, Any]] = []
    for key, members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")):
        quiet = [
            a
            for a in members
            if a["marked"] == "noise"
            or (
                a["status"] == "resolved"
                and a["resolved_by"] is None
                and not a["acked_by"]
                and a["marked"] is None
            )
        ]
        if quiet and len(quiet) == len(members):
            noise.append(
                {
                    "type": _what(*key),
                    "alerts": len(members),
                    "by": sorted(
                        {
                            (a["track_record"] and a["track_record"]["last_noise_by"]) or "nobody"
                            for a in quiet
                        }
                    ),
                }
            )

    lines = [
        f"# Handoff: shift {shift['shift_id']} — {shift['engineer']} ({shift['role']})",
        "",
        f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC"
        + (" (still open)" if shift["ended_at"] is None else ""),
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
            where = _slice(r["slice"]) or "overall"
            lines.append(
                f"  - {r['check_name']} {where}: {_num(r['value'])} "
                f"(threshold {_num(r['threshold'])}, {r['status']})"
            )
    lines += ["", f"## What fired ({len(fired)} alerts)", ""]
    for (model, kind, feature), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        worst = "critical" if any(a["severity"] == "critical" for a in members) else "warning"
        ids = ", ".join(f"#{a['id']}" for a in members)
        slices = sorted({_slice(a["slice"]) for a in members if a["slice"]})
        extra = f"; slices {', '.join(slices)}" if slices else ""
        lines.append(f"- {_what(model, kind, feature)} — {len(members)} ({worst}){extra}: {ids}")
    if not fired:
        lines.append("- nothing fired")
    lines += ["", "## What was done", ""]
    timeline: list[tuple[datetime, str]] = []
    for e in actions:
        detail = json.loads(e["detail"])
        said = detail.get("note") or detail.get("text") or detail.get("reason") or ""
        what = _what(e["model"], e["kind"], e["feature"], e["slice"])
        timeline.append(
            (
                e["acted_at"],
                f"{e['actor']} {e['action']} alert #{e['alert_id']} "
                f"({what})" + (f": {said}" if said else ""),
            )
        )
    for s in silences:
        timeline.append(
            (
                s["starts_at"],
                f"{s['created_by']} silenced {_slice(s['matchers'])} "
                f"until {s['ends_at']:%m-%d %H:%M}" + (f": {s['note']}" if s["note"] else ""),
            )
        )
    for e in bug_events:
        detail = json.loads(e["detail"])
        if e["action"] == "created":
            what = f"filed bug #{e['bug_id']} “{e['title']}” ({detail.get('priority')})"
        elif e["action"] == "changed":
            what = f"set {detail['field']} of bug #{e['bug_id']} to {detail['new']}"
        elif e["action"] == "link":
            what = f"linked bug #{e['bug_id']} to {detail['kind']} {detail['target']}"
        elif e["action"] == "comment":
            what = f"commented on bug #{e['bug_id']}: {detail['text']}"
        else:
            what = f"closed bug #{e['bug_id']} as {detail.get('resolution')}"
        timeline.append((e["acted_at"], f"{e['actor']} {what}"))
    for at, text in sorted(timeline, key=lambda t: t[0]):
        lines.append(f"- {at:%m-%d %H:%M} {text}")
    if not timeline:
        lines.append("- no actions recorded")
    lines += ["", "## Open items handed over", ""]
    for a in open_alerts:
        owner = a["acked_by"] or "unowned"
        lines.append(
            f"- alert #{a['id']} {_what(a['model'], a['kind'], a['feature'], a['slice'])}"
            f" — {a['severity']}, open since {a['first_seen']:%m-%d %H:%M}, owner {owner}"
        )
    for b in sorted(open_bugs, key=lambda b: (b["priority"], b["id"])):
        lines.append(
            f"- bug #{b['id']} [{b['priority']}] {b['title']} — {b['status']}, "
            f"owner {b['assignee'] or 'unassigned'}"
        )
    if not open_alerts and not open_bugs:
        lines.append("- nothing open")
    lines += ["", "## Noise this shift", ""]
    for n in noise:
        lines.append(f"- {n['type']}: {n['alerts']} alert(s), dismissed by {', '.join(n['by'])}")
    if not noise:
        lines.append("- none")
    lines += ["", "## Bugs", ""]
    shown = sorted(set(touched_bugs))
    for bug_id in shown:
        b = bugs[bug_id]
        cause = f", root cause {b['root_cause']}" if b["root_cause"] else ""
        fix = f", mitigation {b['mitigation']}" if b["mitigation"] else ""
        lines.append(f"- #{bug_id} [{b['priority']}] {b['title']} — {b['status']}{cause}{fix}")
    if not shown:
        lines.append("- no bug was filed or changed")
    return {
        "shift": shift,
        "shadows": shadows,
        "start": start,
        "end": end,
        "fired": fired,
        "actions": actions,
        "bug_events": bug_events,
        "silences": silences,
        "open_alerts": open_alerts,
        "open_bugs": open_bugs,
        "noise": noise,
        "bugs": [bugs[i] for i in shown],
        "slos": slos,
        "markdown": "\n".join(lines) + "\n",
    }
