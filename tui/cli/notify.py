"""`oncall notify status|flush|test`: deliveries to the on-call's routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from tui.cli.common import JsonOpt, emit_json, env_of, err_console, info
from tui.cli.helptext import example
from tui.cli.listing import FormatOpt, Listing, chosen, emit
from tui.core.config.times import parse_duration
from tui.core.errors import UsageError
from tui.core.notify.deliver import FlushReport, flush, send_message
from tui.core.notify.outbox import STATES, outbox_status
from tui.core.words import visible, when

app = typer.Typer(
    help="Notifications to the on-call: what is pending, sent or failed; send now; test.",
    no_args_is_help=True,
    epilog=example("oncall notify status --state pending"),
)

WaitOpt = Annotated[
    str | None,
    typer.Option(
        "--wait",
        metavar="DURATION",
        help="Keep sending what comes due (a group's wait, a retry) for this long "
        "(default: alerting.group_wait and 10 s more).",
    ),
]


def _wait(text: str | None, default: timedelta) -> timedelta:
    if text is None:
        return default
    try:
        return parse_duration(text) if text.strip() not in ("0", "0s") else timedelta(0)
    except ValueError as exc:
        raise UsageError(f"--wait: {exc}", field="wait") from None


@app.command(
    "status",
    epilog=example("oncall notify status --state failed --format tsv"),
)
def status(
    ctx: typer.Context,
    state: Annotated[
        str | None,
        typer.Option("--state", help=f"Only notifications in this state: {', '.join(STATES)}."),
    ] = None,
    route: Annotated[str | None, typer.Option("--route", help="Only this route.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most N rows.")] = 50,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pending, sent and failed deliveries: counts per route, then the newest rows."""
    env = env_of(ctx)
    settings = env.settings()
    if state is not None and state not in STATES:
        raise UsageError(f"--state is one of {', '.join(STATES)}, got {state!r}", field="state")
    if route is not None:
        settings.config.alerting.route(route)
    answer = outbox_status(env.store(), state, route, limit)
    form = chosen(fmt, as_json)
    if form.value == "json":
        emit_json(answer.to_json())
        return
    if form.value == "table":
        for name, counts in sorted(answer.counts.items()):
            parts = ", ".join(f"{counts[s]} {s}" for s in STATES if counts.get(s))
            info(f"{name}: {parts}")
        if not answer.counts:
            info("no notifications yet")
    cells = [
        [
            str(n.id),
            n.route,
            n.event,
            f"#{n.alert_id}" if n.alert_id is not None else "",
            n.state,
            str(n.attempts),
            when(n.sent_at or n.created_at),
            visible(n.reason),
        ]
        for n in answer.rows
    ]
    columns = ("id", "route", "event", "alert", "state", "tries", "at", "reason")
    emit(
        Listing(
            columns, cells, lambda: [n.to_json() for n in answer.rows], wrap=frozenset({"reason"})
        ),
        form,
    )


def _say(report: FlushReport) -> None:
    routes = ", ".join(f"{name} {n}" for name, n in sorted(report.by_route.items()))
    info(
        f"sent {report.sent}"
        + (f" ({routes})" if routes else "")
        + f", {report.failed} failed, {report.retried} to retry; {report.pending} pending"
        + (f", next due {report.next_due:%H:%M:%S} UTC" if report.next_due else "")
    )
    for error in report.errors:
        err_console.print(f"error: {error}", style="red", markup=False, highlight=False)


@app.command(
    "flush",
    epilog=example("oncall notify flush", "oncall notify flush --force"),
)
def flush_command(
    ctx: typer.Context,
    wait: WaitOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Send every waiting group now, whatever its timers."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send the notifications that are due (and those coming due within --wait); exit 1
    if any failed for good."""
    env = env_of(ctx)
    settings = env.settings()
    default = settings.config.alerting.group_wait + timedelta(seconds=10)
    report = flush(env.writer(), settings, env.clock(), wait=_wait(wait, default), force=force)
    if as_json:
        emit_json(report.to_json())
    else:
        _say(report)
    if report.failed:
        raise typer.Exit(1)


@app.command(
    "test",
    epilog=example("oncall notify test team-channel"),
)
def test_command(
    ctx: typer.Context,
    route: Annotated[str, typer.Argument(help="The route's name in alerting.notify.")],
    wait: WaitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a test message to ROUTE now; exit 1 if it was not delivered."""
    env = env_of(ctx)
    body = f"oncall test message for route {route!r}, sent by {env.actor}"
    nid, report = send_message(
        env.writer(),
        env.settings(),
        route,
        "test",
        body,
        env.clock(),
        wait=_wait(wait, timedelta(seconds=30)),
    )
    if as_json:
        emit_json({"id": nid, "route": route, "delivered": report.sent > 0, **report.to_json()})
    elif report.sent:
        info(f"route {route}: test message {nid} delivered")
    else:
        _say(report)
    if not report.sent:
        raise typer.Exit(1)
