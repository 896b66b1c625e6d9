"""`oncall labels delay`: how late ground truth is."""

from __future__ import annotations

from typing import Annotated

import typer

from tui.cli.common import JsonOpt, env_of, info
from tui.cli.helptext import example
from tui.cli.listing import Format, FormatOpt, Listing, chosen, emit
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
    fmt: FormatOpt = None,
) -> None:
    """Per prediction day: the fraction labelled after 1, 3, 7, 14 days and now; delay
    percentiles; predictions overdue (older than the expected delay, unlabelled).

    Example: oncall labels delay --model fraud --by region --format tsv | sort -k2
    """
    env = env_of(ctx)
    shape = chosen(fmt, as_json)
    req = request(env, model, since, until)
    store = env.store()
    with store.read() as con:
        report = label_delay(con, req, by)
    heads = [
        "day",
        *([by] if by else []),
        "n",
        *(f"≤{h}d" for h in HORIZONS),
        "now",
        "p50 h",
        "p90 h",
        "overdue",
    ]
    cells = [
        [
            f"{r.day:%m-%d}",
            *([str(r.group)] if by else []),
            f"{r.n:,}",
            *(pct(r.within[h]) for h in HORIZONS),
            pct(r.labeled_now),
            num(r.p50_hours),
            num(r.p90_hours),
            f"{r.overdue:,}",
        ]
        for r in report.days
    ]
    # JSON stays the whole report (`--json` has always printed it); the other formats
    # are its days, one row each, and the totals are said on stderr.
    expected = num(report.expected_delay_hours)
    title = f"{model}: labels by prediction day (expected within {expected} h)"
    emit(Listing(heads, cells, report.to_json, title=title), shape)
    if shape is Format.json:
        return
    for s in report.summary:
        where = f"{slice_text({by: s.group})}: " if by else "all: "
        info(
            f"{where}{s.labeled:,} of {s.n:,} labelled; delay p50 {num(s.p50_hours)} h, "
            f"p90 {num(s.p90_hours)} h, p99 {num(s.p99_hours)} h; "
            f"{s.overdue:,} overdue"
        )
