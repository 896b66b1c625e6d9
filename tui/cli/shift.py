"""`oncall shift` and `oncall handoff`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tui.cli.common import Env, JsonOpt, done, emit_json, env_of, info
from tui.cli.helptext import example, with_example
from tui.cli.listing import FormatOpt, Listing, chosen, emit
from tui.core.notify.deliver import send_message
from tui.core.words import visible, when
from tui.core.work import shifts as core
from tui.core.work.handoff import handoff as build_handoff

app = typer.Typer(
    epilog=example("oncall shift start", "oncall shift status"),
    help="On-call shifts: start, end, status, list.",
    no_args_is_help=True,
)


@app.command("start", epilog=example("oncall shift start --role primary"))
def start(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="primary or shadow.")] = "primary",
    as_json: JsonOpt = False,
) -> None:
    """Start your shift."""
    env = env_of(ctx)
    shift_id = core.start_shift(env.writer(), env.settings(), env.actor, env.now(), role)
    done(f"shift {shift_id} started: {env.actor} is {role}", as_json, lambda: _shift(env, shift_id))


@app.command("end", epilog=example("oncall shift end"))
def end(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """End your shift (then: `oncall handoff`)."""
    env = env_of(ctx)
    shift_id = core.end_shift(env.writer(), env.actor, env.now())
    done(
        f"shift {shift_id} ended; `oncall handoff --shift {shift_id}` writes the report",
        as_json,
        lambda: _shift(env, shift_id),
    )


def _shift(env: Env, shift_id: int) -> dict[str, Any]:
    """One shift as `shift list --json` shows it."""
    return next(s for s in core.list_shifts(env.store()) if s.id == shift_id).to_json()


@app.command("status", epilog=example("oncall shift status --json"))
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Who is on call now."""
    env = env_of(ctx)
    rows = core.current_shifts(env.store())
    if as_json:
        emit_json([s.to_json() for s in rows])
        return
    if not rows:
        info("nobody is on call")
    for s in rows:
        info(f"{s.engineer} is {s.role} since {s.started_at:%Y-%m-%d %H:%M} (shift {s.id})")


@app.command("list", epilog=example("oncall shift list --format tsv"))
def list_(ctx: typer.Context, as_json: JsonOpt = False, fmt: FormatOpt = None) -> None:
    """Every shift, newest first."""
    env = env_of(ctx)
    shape = chosen(fmt, as_json)
    rows = core.list_shifts(env.store())
    cells = [
        [str(s.id), s.engineer, s.role, when(s.started_at), when(s.ended_at) or "open", s.source]
        for s in rows
    ]
    columns = ("id", "engineer", "role", "started", "ended", "source")
    emit(Listing(columns, cells, lambda: [s.to_json() for s in rows]), shape)


@with_example("oncall handoff --out handoff.md")
def handoff(
    ctx: typer.Context,
    shift: Annotated[
        int | None, typer.Option("--shift", help="A shift id (default: current or last).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to FILE.md.")] = None,
    send: Annotated[
        str | None,
        typer.Option(
            "--send",
            metavar="ROUTE",
            help="Post the report to this slack or webhook route of alerting.notify.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The incident report of a shift, in Markdown (`--json`: its parts, and the Markdown)."""
    env = env_of(ctx)
    report = build_handoff(env.store(), env.settings(), shift, env.now())
    delivered = _send_handoff(env, send, report) if send is not None else True
    if out is not None:
        out.write_text(report["markdown"], encoding="utf-8")
        info(f"wrote the handoff report of shift {report['shift']['shift_id']} to {out}")
    if as_json:
        emit_json(report)
    elif out is None:
        # As is but for control characters (shown escaped, newlines kept): the notes in
        # it are user text, and `oncall handoff > shift.md` is the file.
        sys.stdout.write(visible(report["markdown"], lines=True))
        sys.stdout.flush()
    if not delivered:
        raise typer.Exit(1)


def _send_handoff(env: Env, route: str, report: dict[str, Any]) -> bool:
    """Post the report to a route now; whether it was delivered."""
    nid, sent = send_message(
        env.writer(), env.settings(), route, "handoff", report["markdown"], env.clock()
    )
    shift_id = report["shift"]["shift_id"]
    if sent.sent:
        info(f"posted the handoff report of shift {shift_id} to route {route}")
        return True
    reason = "; ".join(sent.errors) or f"not delivered yet; it stays pending ({nid})"
    info(f"the handoff report was not posted to route {route}: {reason}")
    return False
