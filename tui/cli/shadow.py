"""`oncall shadow`: replay past shifts, follow a live one, run drills, see progress."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from tui.cli.common import JsonOpt, emit_json, env_of, info, out_console
from tui.cli.helptext import example
from tui.core.errors import InputError, UsageError
from tui.core.shadow import replay as core
from tui.core.words import num, slice_text, visible, what, when
from tui.sandbox import drills
from tui.sandbox.scenario import load_scenario

app = typer.Typer(
    epilog=example("oncall shadow replay", "oncall shadow score"),
    help="Shadow mode: replay, follow, drills and readiness.",
    no_args_is_help=True,
)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {number}: not JSON: {exc.msg}") from None
        if not isinstance(item, dict):
            raise InputError(f"{path}: line {number}: expected a JSON object")
        out.append(item)
    return out


def _print_score(result: dict[str, Any]) -> None:
    info(
        f"agreement {num(result['agreement'])} · recall on actionable alerts "
        f"{num(result['recall_actionable'])} · false-alarm rate {num(result['false_alarm_rate'])}"
        f" · {result['decisions']} decided, {result['undecided']} undecided"
    )
    for kind, n in result["disagreements"].items():
        info(f"  disagreed {n}× on {kind}")


@app.command("replay", epilog=example("oncall shadow replay --shift 3"))
def replay(
    ctx: typer.Context,
    shift: Annotated[
        int | None, typer.Option("--shift", help="A past primary shift (default: the last).")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help='JSON lines {"alert_id": N, "call": "act|watch|ignore|bug"}.'
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay a past shift: decide on each alert before seeing what the veteran did."""
    env = env_of(ctx)
    store, settings, now = env.store(), env.settings(), env.now()
    if answers is not None:
        calls = _read_jsonl(answers)
        for i, c in enumerate(calls, start=1):
            if "alert_id" not in c or "call" not in c:
                raise InputError(f"{answers}: line {i}: needs alert_id and call")
        result = core.replay_score(store, settings, shift, env.actor, calls, now)
        emit_json(result) if as_json else _print_score(result)
        return
    quiz = core.quiz(store, settings, shift, now)
    if as_json or not sys.stdin.isatty():
        emit_json(quiz)
        return
    truth = core.veteran_decisions(store, settings, shift, now)
    made: list[dict[str, Any]] = []
    for item in quiz["alerts"]:
        out_console.rule(f"alert #{item['id']} at {when(item['first_seen'])}")
        out_console.print(
            f"{item['model']} {item['kind']} {what(item['feature'], item['slice'])}"
            f" — {item['severity']}, value "
            f"{num(item['value'])} (threshold {num(item['threshold'])}); "
            f"{item['earlier_alerts_of_this_type']} earlier of this type"
        )
        started = time.monotonic()
        choice = typer.prompt("your call (act, watch, ignore, bug)", default="watch")
        while choice not in core.CALLS:
            choice = typer.prompt("act, watch, ignore or bug")
        calls.append(
            {
                "alert_id": item["id"],
                "call": choice,
                "seconds": round(time.monotonic() - started, 1),
                "at": now,
            }
        )
        t = truth[int(item["id"])]
        did = ", ".join(f"{v['who']} {v['action']}" for v in t["veteran"]) or "nobody did anything"
        out_console.print(
            Text.assemble(
                ("the veteran:", "bold"), visible(f" {did}; it turned out to be {t['outcome']}")
            )
        )
        if t["runbook"]:
            out_console.print(
                Text.assemble(("runbook:", "bold"), visible(f" {t['runbook']}", lines=True))
            )
    result = core.replay_score(store, settings, shift, env.actor, made, now)
    _print_score(result)


@app.command("score", epilog=example("oncall shadow score --json"))
def score(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Your progress across sessions and whether you are ready to be primary (--as NAME)."""
    env = env_of(ctx)
    result = core.progress(env.store(), env.settings(), env.actor)
    if as_json:
        emit_json(result)
        return
    for s in result["sessions"]:
        sc = s["score"]
        info(
            f"{when(s['scored_at'])} {s['kind']} shift {s['shift_id'] or '—'}: recall "
            f"{num(sc.get('recall_actionable'))}, false alarms {num(sc.get('false_alarm_rate'))},"
            f" agreement {num(sc.get('agreement'))}"
        )
    info(("READY to be primary" if result["ready"] else "not ready yet") + f" ({result['rule']})")


@app.command("follow", epilog=example("oncall shadow follow"))
def follow(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The live shift's alerts; the primary's actions show once you made your call."""
    env = env_of(ctx)
    result = core.follow(env.store(), env.settings(), env.actor, env.now())
    if as_json:
        emit_json(result)
        return
    info(f"shift {result['shift']}, primary {result['primary']}")
    for a in result["alerts"]:
        mine = a["your_call"] or "awaiting your call (`oncall shadow call ID --call …`)"
        out_console.print(f"#{a['id']} {a['type']} {slice_text(a['slice'])}: {mine}")
        for v in a.get("primary", []):
            out_console.print(f"    primary: {v['who']} {v['action']} at {when(v['at'])}")


@app.command(
    "call", epilog=example('oncall shadow call 6 --call act --note "looks like the gateway again"')
)
def call(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument()],
    call_: Annotated[str, typer.Option("--call", help="act, watch, ignore or bug")],
    note: Annotated[str, typer.Option("--note")] = "",
) -> None:
    """Record your call on an alert of the live shift."""
    env = env_of(ctx)
    core.call(env.store(), env.settings(), env.actor, alert_id, call_, note, env.now())
    info(f"your call on #{alert_id}: {call_}")


@app.command("drill", epilog=example("oncall shadow drill drill-checkout --dir /tmp/drill"))
def drill(
    ctx: typer.Context,
    scenario: Annotated[
        str | None, typer.Argument(help="A drill scenario (default: the first).")
    ] = None,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Where to build the sandbox.")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help='JSON lines {"model", "feature" or "slice", "root_cause"}.'),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rehearse on planted incidents: find each one's model, feature or slice, and cause."""
    env = env_of(ctx)
    names = drills.drill_names()
    name = scenario or names[0]
    if name not in names:
        raise UsageError(f"no drill {name!r}; shipped: {', '.join(names)}")
    spec = load_scenario(name)
    if answers is not None:
        result = drills.score_drill(spec, _read_jsonl(answers))
        if as_json:
            emit_json(result)
            return
        info(f"{result['found']} of {result['incidents']} incidents found")
        for r in result["results"]:
            info(f"  found: {r['title']}" if r["found"] else f"  missed — it was {r['answer']}")
        return
    target = (folder or Path(f"oncall-drill-{name}")).resolve()
    config = drills.build_drill(
        name,
        target,
        env.now() if env.now_text else datetime.now().replace(minute=0, second=0, microsecond=0),
    )
    b = drills.brief(spec)
    if as_json:
        emit_json({**b, "config": str(config)})
        return
    info(f"drill {name}: {b['description']}")
    if b["task"] == "tune":
        info(
            f"The record of {b['days']} days of shifts is in the store. Tune the noisy "
            f"thresholds: `oncall --config {config} tune` (then --write), and check that "
            "every incident the veterans acted on still fires."
        )
        return
    info(
        f"{b['incidents']} incidents are planted in {b['days']} days. Investigate with "
        f"`oncall --config {config}`, then answer with --answers FILE (JSON lines: model, "
        f"feature or slice, root_cause)."
    )
