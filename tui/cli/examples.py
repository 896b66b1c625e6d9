"""`oncall examples`: the rows behind any number."""

from __future__ import annotations

import base64
import binascii
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from tui.cli.common import JsonOpt, emit_json, env_of, info
from tui.cli.helptext import with_example
from tui.cli.listing import Format, FormatOpt, Listing, chosen, emit
from tui.cli.slices import SinceOpt, UntilOpt, WhereOpt, request
from tui.core.alerts.drill import Drill, drill_for
from tui.core.config.lake import refuse_lake
from tui.core.errors import UsageError
from tui.core.slices.examples import MAX_PAGE, RANKED, examples_page, write_examples
from tui.core.slices.request import Request
from tui.core.store.filters import parse_filters
from tui.core.store.sqlparts import slice_value
from tui.core.words import num, pct, slice_text, when


@with_example(
    'oncall examples --model fraud --where "amount is null" --format tsv | head',
    "oncall examples --alert 6 --format tsv | head",
)
def examples(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The model (or give --alert).")
    ] = None,
    alert: Annotated[
        int | None,
        typer.Option(
            "--alert",
            help="The rows behind alert ID: its slice and episode, the rows that make it "
            "fail first (nulls, out-of-range or unexpected values, shifted bins, the "
            "surest wrong predictions).",
        ),
    ] = None,
    where: WhereOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    wrong: Annotated[
        bool, typer.Option("--wrong", help="Only labelled rows the model got wrong.")
    ] = False,
    unlabeled: Annotated[
        bool, typer.Option("--unlabeled", help="Only rows without a label yet.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Rows per page (default 50; with --out, all).")
    ] = None,
    after: Annotated[
        str | None,
        typer.Option("--after", help="Where the previous page ended (its `after`, or `next`)."),
    ] = None,
    min_error: Annotated[
        float | None,
        typer.Option(
            "--min-error",
            help="Regression: an error above this is wrong (default 2 × offline MAE).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the rows to FILE.parquet or FILE.csv.")
    ] = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """The prediction rows behind a number: features, prediction, score, label, delay."""
    env = env_of(ctx)
    after = key_of(after)
    if out is not None and as_json:
        raise UsageError("choose --json or --out, not both")
    if wrong and unlabeled:
        # The core says it in the domain's words; the command line names its own flags.
        raise UsageError("--wrong and --unlabeled exclude each other (wrong needs a label)")
    store = env.store()
    drill: Drill | None = None
    if alert is not None:
        if since is not None or until is not None:
            raise UsageError("--alert sets the window (its episode); leave out --since/--until")
        drill = drill_for(store, env.settings(), alert, env.now())
        if model is not None and model != drill.model:
            raise UsageError(f"alert #{alert} is about model {drill.model}, not {model}")
        req = _alert_request(env.settings().model(drill.model), drill, where or [])
    elif model is None:
        raise UsageError("give --model (or --alert ID)", field="model")
    else:
        req = request(env, model, since, until, where=where)
    refuse_lake(req.model_name, req.model.source, "`oncall examples` (rows from the lake)")
    focus = drill.focus if drill is not None else None
    with store.read() as con:
        if out is not None:
            rows: list[dict[str, Any]] = []
            key = after
            wanted = limit
            while True:
                size = MAX_PAGE if wanted is None else min(MAX_PAGE, wanted - len(rows))
                page = examples_page(
                    con,
                    req,
                    wrong=wrong,
                    unlabeled=unlabeled,
                    limit=size,
                    after=key,
                    min_error=min_error,
                    focus=focus,
                )
                rows += page.rows
                key = page.next
                if key is None or (wanted is not None and len(rows) >= wanted):
                    break
            count = write_examples(rows, out)
            info(f"wrote {count:,} rows to {out}")
            return
        page = examples_page(
            con,
            req,
            wrong=wrong,
            unlabeled=unlabeled,
            limit=limit or 50,
            after=after,
            min_error=min_error,
            focus=focus,
        )
    shape = chosen(fmt, as_json)
    if shape is Format.json:
        # `after`: the cursor to give --after, beside the page key `next` scripts may use.
        answer = {**page.to_json(), "after": cursor_of(page.next)}
        emit_json({**answer, "drill": drill.to_json()} if drill else answer)
        return
    if drill is not None:
        _say(drill)
    # Every declared slice and feature (a slice that is also a feature once), then what
    # the model said and what came true: the row as a person judges it.
    columns = list(dict.fromkeys([*req.model.slices, *req.model.features]))
    cells = [
        [
            str(r["prediction_id"]),
            when(r["ts"]),
            *(_cell(r.get(c)) for c in columns),
            str(r["prediction"]),
            num(r["score"]),
            "—" if r["label"] is None else str(r["label"]),
            when(r.get("labeled_at")),
            num(r["delay_hours"]),
        ]
        for r in page.rows
    ]
    heads = ("prediction_id", "ts", *columns, "pred", "score", "label", "labeled", "delay h")
    emit(Listing(heads, cells, page.to_json), shape)
    if page.next:
        info(f"more: --after {shlex.quote(cursor_of(page.next) or '')}")


# A ranked page's key holds the exact rank it ended at (a float such as
# 0.30000000000000004, which must not be rounded or the next page would skip or repeat
# rows); shown to a person, it is this prefix and the key in URL-safe base64: short, safe
# to paste into a shell, and the same for the same page every time.
CURSOR = "c1."


def cursor_of(key: str | None) -> str | None:
    """The page key as the command line shows it: a ranked key as a cursor (`CURSOR`),
    a time-ordered key (`TS|ID`, readable already) as it is."""
    if key is None or not key.startswith(RANKED):
        return key
    return CURSOR + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def key_of(after: str | None) -> str | None:
    """The page key an --after names: a cursor decoded, a page key (`next`) as it is."""
    if after is None or not after.startswith(CURSOR):
        return after
    packed = after.removeprefix(CURSOR)
    try:
        key = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)).decode()
    except (binascii.Error, ValueError):
        key = None
    # The decoder skips characters outside its alphabet, so a damaged cursor can still
    # decode: only one that a page would print again is taken.
    if key is None or not key.startswith(RANKED) or cursor_of(key) != after:
        raise UsageError(
            f"the page cursor {after!r} is not one a page printed (its `after`)",
            field="after",
        )
    return key


def _alert_request(spec: Any, drill: Drill, where: list[str]) -> Request:
    """The drill's request, narrowed by any --where besides."""
    req = drill.request(spec)
    req.filters += parse_filters(drill.model, spec, where)
    return req


def _say(drill: Drill) -> None:
    """What the rows are evidence of, on stderr (stdout keeps the rows)."""
    where = slice_text(drill.slice) or "all rows"
    info(
        f"alert #{drill.alert_id} ({drill.kind}): {drill.metric} on {where}, "
        f"{drill.since:%m-%d %H:%M} → {drill.until:%m-%d %H:%M}; {drill.focus.what}"
    )
    for b in drill.bins[:5]:
        info(f"  {b.label}: baseline {pct(b.baseline)} → now {pct(b.current)}")


def _cell(value: Any) -> str:
    """A slice or feature value as a cell: numbers compact, a missing value as —."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return slice_value(value) if value.is_integer() else num(value, 4)
    return str(value)
