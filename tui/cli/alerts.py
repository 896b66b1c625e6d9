"""`oncall alerts`: list, show and act on alerts; silences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tui.cli.common import Env, JsonOpt, done, emit_json, env_of, err_console, info, out_console
from tui.cli.helptext import example
from tui.cli.listing import Format, FormatOpt, Listing, chosen, emit
from tui.core import alerts as core
from tui.core.config.times import parse_duration
from tui.core.errors import UsageError
from tui.core.words import facts, num, pct, slice_text, visible, what, when

if TYPE_CHECKING:
    from tui.core.actions import Action

app = typer.Typer(
    epilog=example("oncall alerts list", "oncall alerts show 6"),
    help="List, inspect and act on alerts.",
    no_args_is_help=True,
)

IdArg = Annotated[int, typer.Argument(help="The alert id.")]


def _duration(text: str, option: str) -> Any:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@app.command(
    "list", epilog=example("oncall alerts list --status all --model fraud --format tsv | cut -f1,5")
)
def list_(
    ctx: typer.Context,
    status: Annotated[
        str,
        typer.Option(
            "--status", help="firing, acked, snoozed, silenced, resolved, active (default) or all."
        ),
    ] = "active",
    model: Annotated[str | None, typer.Option("--model", "-m")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort", help="status, severity, actionability, last_seen, first_seen or count."
        ),
    ] = "status",
    digest: Annotated[
        bool,
        typer.Option(
            "--digest", help="The alerts the surfacing policy holds back (alerting.surface)."
        ),
    ] = False,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """List alerts: firing first, by severity and how often their type was acted on.
    With an `alerting.surface` policy, alert types rarely acted on are held in a digest
    (listed with --digest) rather than in the stream."""
    env = env_of(ctx)
    shape = chosen(fmt, as_json)
    if model:
        env.settings().model(model)
    rows = core.list_alerts(
        env.store(), env.now(), status=status, model=model, kind=kind, sort=sort
    )
    rows, held_back = _surfaced(env, rows, digest)
    if not rows and shape is Format.table:
        info(f"no {status} alerts" + (" held in the digest" if digest else ""))
        if held_back:
            info(f"{held_back} held in the digest: oncall alerts list --digest")
        return
    cells = [
        [
            str(a.id),
            a.status,
            a.severity[:4],
            a.model,
            a.kind,
            what(a.feature, a.slice),
            a.period or when(a.last_seen),  # a month's window by its name
            str(a.count),
            pct(a.actionability),
        ]
        for a in rows
    ]
    columns = ("id", "status", "sev", "model", "kind", "feature/slice", "last", "n", "act")
    emit(
        Listing(columns, cells, lambda: [a.to_json() for a in rows], wrap=frozenset(columns[1:6])),
        shape,
    )
    if held_back and shape is Format.table:
        info(f"{held_back} more held in the digest: oncall alerts list --digest")


def _surfaced(env: Env, rows: list[core.Alert], digest: bool) -> tuple[list[core.Alert], int]:
    """With a surfacing policy, the alerts that interrupt the stream (or, with
    `digest`, those held back) and how many the other side holds."""
    policy = env.surface()
    if policy is None:
        if digest:
            raise UsageError("no digest: the config sets no alerting.surface policy")
        return rows, 0
    from tui.core.tuning.surfacing import read_digest  # here: most configs set no policy

    held = read_digest(env.store(), policy, env.now()).held_ids
    inside = [a for a in rows if a.id in held]
    outside = [a for a in rows if a.id not in held]
    return (inside, 0) if digest else (outside, len(inside))


@app.command("show", epilog=example("oncall alerts show 6"))
def show(ctx: typer.Context, alert_id: IdArg, as_json: JsonOpt = False) -> None:
    """One alert with its track record, history and recent results."""
    # Here, not at the top: `alerts list` draws neither (rich's text is slow to import).
    from rich.text import Text

    from tui.core.chart import Series, render_plot

    env = env_of(ctx)
    detail = core.show_alert(env.store(), env.settings(), alert_id, env.now())
    if as_json:
        emit_json(detail.to_json())
        return
    alert = detail.alert
    out_console.print(
        Text.assemble(
            (
                visible(
                    f"#{alert.id} {alert.model} {alert.kind} {what(alert.feature, alert.slice)}"
                ),
                "bold",
            ),
            f"  {alert.severity}, {alert.status}",
        )
    )
    out_console.print(
        f"first seen {when(alert.first_seen)}, last {when(alert.last_seen)}, "
        f"{alert.count} windows{f' (last {alert.period})' if alert.period else ''}; "
        f"value {num(alert.value)} "
        f"(worst {num(alert.worst_value)}, threshold {num(alert.threshold)})"
    )
    record = alert.track_record
    if record:
        out_console.print(
            f"this type: acted on {record.acted} of {record.episodes}, "
            f"noise {record.noise}, median "
            f"{num(record.median_minutes_to_resolve)} min to resolve"
        )
        if record.estimates_checked:
            out_console.print(
                f"estimates of this type checked against the labels since: "
                f"{record.estimates_right} of {record.estimates_checked} right"
            )
    if alert.detail:
        out_console.print(f"detail: {facts(alert.detail)}")
    if detail.results:
        # The same episode chart the app draws, from the same points.
        points = detail.results
        out_console.print(
            f"{alert.check} over the episode, {when(points[0].window_start)} to "
            f"{when(points[-1].window_end)} UTC ({len(points)} windows, "
            f"{sum(p.status in ('warning', 'critical') for p in points)} failing):"
        )
        out_console.print(
            render_plot(
                [Series(alert.check, [p.value for p in points])],
                alert.threshold,
                min(max(out_console.width, 60), 120),
                6,
                times=[p.window_start for p in points],
                marks=[p.status for p in points],
            )
        )
    if detail.drift is not None:
        # The bins that moved most (there may be dozens of categories), in bin order.
        drift = detail.drift
        bins = list(zip(drift.labels, drift.baseline, drift.current, strict=True))
        moved = sorted(sorted(bins, key=lambda x: -abs(x[2] - x[1]))[:5], key=bins.index)
        shares = ", ".join(f"{label} {pct(b)}→{pct(c)}" for label, b, c in moved)
        out_console.print(
            f"drift since the baseline, share per bin (baseline→last window): {shares}"
            + (f" (top 5 of {len(bins)} bins)" if len(bins) > 5 else "")
        )
    if detail.runbook:
        out_console.print(
            Text.assemble(
                ("runbook", "bold"),
                visible(f" ({detail.runbook.author}): {detail.runbook.text}", lines=True),
            )
        )
    for bug in detail.bugs:
        out_console.print(f"bug #{bug.bug_id} {bug.title} ({bug.status})")
    for e in detail.events:
        out_console.print(f"  {when(e.acted_at)} {e.actor}: {e.action} {facts(e.detail)}")


def _perform(env: Env, kind: str, alert_id: int, text: str = "", minutes: float = 0) -> Action:
    """Take one alert action (``kind``, an ActionKind's value) through the door every
    face uses; return it."""
    # Here, not at the top: the actions (and the session they import) are no part of
    # `alerts list`, whose start-up every import adds to.
    from tui.core.actions import Action, ActionKind, perform

    session = env.session(env.writer())
    action = Action.new(ActionKind(kind), alert_id, session.actor, session.now(), text, minutes)
    perform(session, action)
    return action


def _done(env: Env, alert_id: int, message: str, as_json: bool) -> None:
    """Say what was done; with --json, the alert as it now is."""
    done(
        message,
        as_json,
        lambda: core.show_alert(env.store(), env.settings(), alert_id, env.now()).to_json(),
    )


@app.command(
    "ack", epilog=example('oncall alerts ack 6 --note "EU gateway is down, paging payments"')
)
def ack(
    ctx: typer.Context,
    alert_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="What you found or are doing.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge: you are on it. Lasts while the episode lasts."""
    env = env_of(ctx)
    _perform(env, "ack", alert_id, note)
    _done(env, alert_id, f"alert {alert_id} acknowledged by {env.actor}", as_json)


@app.command("snooze", epilog=example("oncall alerts snooze 6 --for 2h"))
def snooze(
    ctx: typer.Context,
    alert_id: IdArg,
    for_: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d.")] = "2h",
    as_json: JsonOpt = False,
) -> None:
    """Hide an alert for a while; it comes back by itself."""
    env = env_of(ctx)
    duration = _duration(for_, "--for")
    until = _perform(env, "snooze", alert_id, minutes=duration.total_seconds() / 60).at + duration
    _done(env, alert_id, f"alert {alert_id} snoozed until {until:%Y-%m-%d %H:%M} UTC", as_json)


@app.command(
    "resolve", epilog=example('oncall alerts resolve 6 --note "gateway back, rates normal"')
)
def resolve(
    ctx: typer.Context,
    alert_id: IdArg,
    note: Annotated[str, typer.Option("--note")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Resolve by hand; a failure after this opens a new alert."""
    env = env_of(ctx)
    _perform(env, "resolve", alert_id, note)
    _done(env, alert_id, f"alert {alert_id} resolved by {env.actor}", as_json)


@app.command(
    "note",
    epilog=example('oncall alerts note 6 --text "payments team says the fix ships at 14:00"'),
)
def note(
    ctx: typer.Context,
    alert_id: IdArg,
    text: Annotated[str, typer.Option("--text", help="The note.")],
    as_json: JsonOpt = False,
) -> None:
    """Add a note to an alert's history."""
    env = env_of(ctx)
    _perform(env, "note", alert_id, text)
    _done(env, alert_id, f"note added to alert {alert_id}", as_json)


@app.command(
    "mark",
    epilog=example(
        'oncall alerts mark 6 --noise "fires every deploy"', "oncall alerts mark 7 --actionable"
    ),
)
def mark(
    ctx: typer.Context,
    alert_id: IdArg,
    noise: Annotated[
        str | None, typer.Option("--noise", help="Mark as noise, with the reason.")
    ] = None,
    actionable: Annotated[bool, typer.Option("--actionable", help="Mark as actionable.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mark an alert as noise or actionable; this teaches its type's track record."""
    env = env_of(ctx)
    if (noise is None) == (not actionable):
        raise UsageError("mark takes either --noise REASON or --actionable")
    kind = "mark_actionable" if actionable else "mark_noise"
    _perform(env, kind, alert_id, noise or "")
    what = "actionable" if actionable else "noise"
    _done(env, alert_id, f"alert {alert_id} marked {what}", as_json)


@app.command(
    "silence",
    epilog=example(
        'oncall alerts silence --match model=fraud --match kind=drift --for 8h --note "retraining"'
    ),
)
def silence(
    ctx: typer.Context,
    match: Annotated[
        list[str],
        typer.Option(
            "--match",
            help="KEY=VALUE: model, kind, check, feature, severity or a slice column "
            "(repeatable; all must match).",
        ),
    ],
    for_: Annotated[str, typer.Option("--for", help="How long: 30m, 8h, 2d.")] = "8h",
    note: Annotated[str, typer.Option("--note")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Silence matching alerts for a while. They are still created and stored."""
    env = env_of(ctx)
    settings = env.settings()
    matchers = core.parse_matchers(settings, match)
    silence_id = core.silence(
        env.writer(), settings, matchers, env.actor, env.now(), _duration(for_, "--for"), note
    )
    done(
        f"silence {silence_id} for {for_}: {slice_text(matchers)}",
        as_json,
        lambda: {"id": silence_id, "matchers": matchers},
    )


@app.command("silences", epilog=example("oncall alerts silences --all"))
def silences(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include expired silences.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List silences."""
    env = env_of(ctx)
    rows = core.list_silences(env.store(), env.now(), include_expired=all_)
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table  # here: `--json` and tsv draw no table

    table = Table(box=None)
    for col in ("id", "match", "until", "by", "active", "note"):
        table.add_column(col)
    for s in rows:
        table.add_row(
            str(s["silence_id"]),
            slice_text(s["matchers"]),
            when(s["ends_at"]),
            s["created_by"],
            "yes" if s["active"] else "no",
            s["note"],
        )
    err_console.print(table) if not rows else out_console.print(table)


@app.command("expire", epilog=example("oncall alerts expire 2"))
def expire(
    ctx: typer.Context, silence_id: Annotated[int, typer.Argument(help="The silence id.")]
) -> None:
    """End a silence now."""
    env = env_of(ctx)
    core.expire_silence(env.writer(), env.settings(), silence_id, env.actor, env.now())
    info(f"silence {silence_id} expired")


@app.command(
    "runbook",
    epilog=example('oncall alerts runbook fraud/completeness --text "check the EU gateway first"'),
)
def runbook(
    ctx: typer.Context,
    alert_type: Annotated[str, typer.Argument(help="MODEL/KIND or MODEL/KIND/FEATURE.")],
    text: Annotated[str, typer.Option("--text", help="What the next person should know.")],
    as_json: JsonOpt = False,
) -> None:
    """Leave a note on an alert type; it shows whenever that type fires."""
    env = env_of(ctx)
    model, kind, feature = core.write_runbook(
        env.writer(), env.settings(), alert_type, text, env.actor, env.now()
    )
    done(
        f"runbook note saved for {'/'.join(x for x in (model, kind, feature) if x)}",
        as_json,
        lambda: {"model": model, "kind": kind, "feature": feature or None, "text": text},
    )
