"""`oncall check`: evaluate every due window and update the alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from tui.cli.common import emit_json, env_of, err_console, info, show_progress
from tui.cli.helptext import with_example
from tui.cli.listing import Format, Listing, emit
from tui.core.alerts.reading import list_alerts
from tui.core.checks.results import FAILING, SEVERITY_RANK
from tui.core.checks.storing import results_json
from tui.core.config.lake import refuse_lake
from tui.core.config.times import parse_timestamp
from tui.core.errors import UsageError
from tui.core.monitor.run import run_checks
from tui.core.words import num, what, when


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@with_example("oncall check --fail-on critical")
def check(
    ctx: typer.Context,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only this model (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Re-evaluate windows from this time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Evaluate windows up to this time.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 if an alert of this severity or worse is firing: warning or critical.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print this run's results and alert changes as JSON.")
    ] = False,
) -> None:
    """Evaluate every check window that is due up to now and update the alerts."""
    env = env_of(ctx)
    if fail_on is not None and fail_on not in SEVERITY_RANK:
        raise UsageError("--fail-on takes warning or critical")
    settings = env.settings()
    for name in model or []:
        refuse_lake(name, settings.model(name).source, "`oncall check`")
    lake = [n for n, m in settings.config.models.items() if m.source is not None]
    if lake and not model:
        # Checks of lake models come later (they need per-window statistics from the
        # lake); the local models are checked as ever.
        model = [n for n in settings.config.models if n not in lake]
        if not model:
            refuse_lake(lake[0], settings.model(lake[0]).source, "`oncall check`")
        info(f"lake models not checked (not yet supported): {', '.join(lake)}")
    store = env.writer()
    now = env.now()
    step = None
    if show_progress(as_json):
        step = lambda message: err_console.print(message, style="dim")  # noqa: E731
    run = run_checks(
        store,
        settings,
        now,
        models=model or None,
        since=_time(since, "--since"),
        until=_time(until, "--until"),
        on_step=step,
    )
    firing = list_alerts(store, now, status="firing")
    if as_json:
        emit_json(
            {
                "now": now,
                "results": results_json(run.results),
                "opened": run.opened,
                "updated": run.updated,
                "resolved": run.resolved,
                "firing": [a.to_json() for a in firing],
                "seconds": run.seconds,
                "complete": run.complete,
                "remaining_windows": run.remaining,
                "problems": run.problems,
                "notifications_queued": run.notifications,
            }
        )
    else:
        failing = [r for r in run.results if r.status in FAILING]
        info(
            f"checked up to {now:%Y-%m-%d %H:%M} UTC in {run.seconds:.1f} s: "
            f"{len(run.results):,} new or changed results, {len(failing):,} failing; "
            f"alerts {len(run.opened)} opened, {len(run.updated)} updated, "
            f"{len(run.resolved)} resolved; {len(firing)} firing"
        )
        if firing:
            # The firing alerts are the answer: on stdout, so `oncall check | less` shows
            # them; what was done goes to stderr.
            cells = [
                [
                    str(a.id),
                    a.severity[:4],
                    a.model,
                    a.kind,
                    what(a.feature, a.slice),
                    when(a.first_seen),
                    num(a.value),
                ]
                for a in firing[:20]
            ]
            columns = ("id", "sev", "model", "kind", "what", "since", "value")
            emit(Listing(columns, cells, lambda: None, title="firing"), Format.table)
            if len(firing) > 20:
                info(f"… and {len(firing) - 20} more: `oncall alerts list --status firing`")
    for problem in run.problems:
        err_console.print(f"error: {problem}", style="red", markup=False, highlight=False)
    if not run.complete:
        left = ", ".join(f"{name} {n:,}" for name, n in run.remaining.items())
        info(
            f"stopped early: windows remain ({left}; at most "
            f"{settings.config.checks.max_windows_per_run:,} of each kind per run); "
            "run `oncall check` again to continue"
        )
    if fail_on is not None:
        worst = max((SEVERITY_RANK[a.severity] for a in firing), default=0)
        if worst >= SEVERITY_RANK[fail_on]:
            raise typer.Exit(1)
