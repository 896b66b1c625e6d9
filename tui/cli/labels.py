"""`oncall labels delay`: how late ground truth is."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tui.cli.common import JsonOpt, emit_json, env_of, info, out_console
from tui.cli.helptext import example
from tui.cli.slices import ModelOpt, SinceOpt, UntilOpt, request
from tui.core.slices.labels import HORIZONS, label_delay
from tui.core.words import num, pct, slice_text

app = typer.Typer(
    epilog=example("oncall labels delay --model fraud"),
    help="Label arrival: coverage over time, delays, overdue predictions.",
    no_args_is_help=True,
)


@app.command("delay", epilog=example("oncall labels delay --model fraud --by country"))
def delay(
    ctx: typer.Context,
    model: ModelOpt,
    by: Annotated[str | None, typer.Option("--by", help="A slice column.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per prediction day: the fraction labelled after 1, 3, 7, 14 days and now; delay
    percentiles; predictions overdue (older than the expected delay, unlabelled)."""
    env = env_of(ctx)
    req = request(env, model, since, until)
    store = env.store()
    with store.read() as con:
        report = label_delay(con, req, by)
    if as_json:
        emit_json(report.to_json())
        return
    table = Table(
        box=None,
        title=f"{model}: labels by prediction day (expected within "
        f"{num(report.expected_delay_hours)} h)",
        title_justify="left",
    )
    cols = [
        "day",
        *([by] if by else []),
        "n",
        *(f"≤{h}d" for h in HORIZONS),
        "now",
        "p50 h",
        "p90 h",
        "overdue",
    ]
    for col in cols:
        table.add_column(col, justify="left" if col in ("day", by) else "right", no_wrap=True)
    for r in report.days:
        table.add_row(
            f"{r.day:%m-%d}",
            *([str(r.group)] if by else []),
            f"{r.n:,}",
            *(pct(r.within[h]) for h in HORIZONS),
            pct(r.labeled_now),
            num(r.p50_hours),
            num(r.p90_hours),
            f"{r.overdue:,}",
        )
    out_console.print(table)
    for s in report.summary:
        where = f"{slice_text({by: s.group})}: " if by else "all: "
        info(
            f"{where}{s.labeled:,} of {s.n:,} labelled; delay p50 {num(s.p50_hours)} h, "
            f"p90 {num(s.p90_hours)} h, p99 {num(s.p99_hours)} h; "
            f"{s.overdue:,} overdue"
        )
