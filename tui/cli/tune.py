"""`oncall tune`: thresholds back-tested on the team's own record, and lead indicators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from tui.cli.common import (
    JsonOpt,
    emit_json,
    env_of,
    info,
    out_console,
    progress_bar,
    show_progress,
)
from tui.cli.helptext import with_example
from tui.core.config.times import parse_duration, parse_timestamp
from tui.core.errors import UsageError
from tui.core.tuning.lead import read_lead_indicators
from tui.core.tuning.suggest import tune as back_test
from tui.core.tuning.writing import diff, edited_text, edits_of, write_config
from tui.core.words import num

EARLIEST = datetime(1970, 1, 1)


def _since(text: str | None, now: datetime) -> datetime:
    if text is None:
        return EARLIEST
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise UsageError(f"--since: expected a time or a duration such as 28d ({exc})") from None


class TypeProgress:
    """The back-test's progress on a bar whose total is the number of alert types: each
    type heard starting means the one before it is done; `finish` counts the last."""

    def __init__(self, advance: Callable[..., None]) -> None:
        self.advance = advance
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int, name: str) -> None:
        self.total = total
        self.advance(f"back-testing {name} ({done + 1} of {total})", done - self.done, total)
        self.done = done

    def finish(self) -> None:
        """The last type is done: the bar ends at total/total."""
        if self.total:
            self.advance("back-tested", self.total - self.done, self.total)
            self.done = self.total


@with_example("oncall tune --model fraud", "oncall tune --model fraud --kind completeness --write")
def tune(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind (completeness, drift, volume…).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Learn from results from this time, or this long ago (28d)."),
    ] = None,
    recall: Annotated[
        float,
        typer.Option(
            "--recall",
            help="The share of acted-on episodes a suggestion must still catch (default 1).",
        ),
    ] = 1.0,
    write: Annotated[
        bool, typer.Option("--write", help="Write the suggestions into the config.")
    ] = False,
    lead: Annotated[
        bool,
        typer.Option(
            "--lead", help="Lead indicators: alert types that fired before realised drops."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Thresholds back-tested on the record: each alert type's stored results are
    replayed against candidate thresholds, and the quietest one that still fires for
    every episode you acted on (or that preceded an SLO breach) is suggested. Prints a
    diff of oncall.yaml; writes only with --write.
    --lead lists instead which data-quality and drift alert types fired before realised
    performance drops, by how long, and how often without one.

    Example: oncall tune --model fraud --kind completeness --write
    """
    env = env_of(ctx)
    settings = env.settings()
    if model is not None:
        settings.model(model)  # an unknown model is a usage error naming the ones there are
    if not 0 < recall <= 1:  # NaN fails too
        raise UsageError(f"--recall takes a share in (0, 1], got {recall:g}")
    store = env.store()
    if lead:
        indicators = read_lead_indicators(store, model)
        if as_json:
            emit_json({"lead_indicators": [i.to_json() for i in indicators]})
            return
        table = Table(box=None)
        table.add_column("model", no_wrap=True)
        table.add_column("alert type", no_wrap=True)
        for head in ("episodes", "before a drop", "drops", "no drop", "lead h"):
            table.add_column(head, justify="right", no_wrap=True)
        for i in indicators:
            table.add_row(
                i.model,
                f"{i.kind}" + (f"/{i.feature}" if i.feature else ""),
                str(i.episodes),
                str(i.preceded),
                f"{i.drops_preceded}/{i.drops_total}",
                str(i.without_drop),
                num(i.median_lead_hours),
            )
        out_console.print(table)
        if not indicators:
            info("no data-quality or drift alert types in the record yet")
        return
    now = env.now()
    with progress_bar(show_progress(as_json), 1, "back-testing") as advance:
        heard = TypeProgress(advance)
        tunings = back_test(
            store,
            settings,
            since=_since(since, now),
            model=model,
            kind=kind,
            recall=recall,
            progress=heard,
        )
        heard.finish()
    edits = edits_of(tunings, settings)
    before, after = edited_text(settings.path, edits) if edits else ("", "")
    changes = diff(settings.path, before, after) if edits else ""
    if write and edits:
        write_config(settings.path, after)
    if as_json:
        emit_json(
            {
                "types": [t.to_json() for t in tunings],
                "diff": changes,
                "written": bool(write and edits),
            }
        )
        return
    for t in tunings:
        out_console.print(t.reason, soft_wrap=True, markup=False)
    if changes:
        out_console.print(changes, soft_wrap=True, markup=False, highlight=False, end="")
        info(
            f"wrote {len(edits)} change(s) to {settings.path}"
            if write
            else "nothing written; run again with --write to apply"
        )
    elif tunings:
        info("every threshold is already where the record puts it")
    else:
        info("no alert types in the record yet: nothing to tune")
