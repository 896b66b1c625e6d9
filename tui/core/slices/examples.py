"""Examples: the rows behind any number, paged by key, exportable as a validation delta."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from tui.core.errors import UsageError
from tui.core.slices.focus import Focus, focus_condition, focus_params, focus_rank
from tui.core.slices.records import ExamplesPage
from tui.core.slices.request import Request
from tui.core.store.connection import fetch_rows
from tui.core.store.filters import filter_sql, require_stored
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw

MAX_PAGE = 10_000
RANKED = "rank:"  # a ranked page's key starts so: `rank:R|TS|PREDICTION_ID`
# Time order, and the key condition that starts a page after (ts, prediction_id).
TIME_ORDER = "p.ts, p.prediction_id"
AFTER_TIME = (
    "($after_ts IS NULL OR p.ts > $after_ts OR (p.ts = $after_ts AND p.prediction_id > $after_id))"
)


def parse_key(key: str | None) -> tuple[datetime | None, str | None]:
    """A page key `TS|PREDICTION_ID` (as printed with a page) into its parts."""
    if not key:
        return None, None
    ts, sep, pid = key.partition("|")
    if not sep:
        raise UsageError(
            f"a page key is the `next` key of a previous page, got {key!r}", field="after"
        )
    try:
        return datetime.fromisoformat(ts), pid
    except ValueError:
        raise UsageError(f"the page key {key!r} has no readable time", field="after") from None


def parse_ranked_key(key: str | None) -> tuple[float | None, datetime | None, str | None]:
    """A page key into rank (None for a time-ordered page's key), time and id."""
    if key and key.startswith(RANKED):
        rank, sep, rest = key.removeprefix(RANKED).partition("|")
        try:
            value = float(rank)
        except ValueError:
            value = None
        if not sep or value is None:
            raise UsageError(f"the page key {key!r} has no readable rank", field="after")
        return (value, *parse_key(rest))
    return (None, *parse_key(key))


def examples_page(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    *,
    wrong: bool = False,
    unlabeled: bool = False,
    limit: int = 50,
    after: str | None = None,
    min_error: float | None = None,
    focus: Focus | None = None,
) -> ExamplesPage:
    """One page of rows (at most `limit`) after the key `after`, and the key of the next
    page (None at the end). Never an OFFSET: the next page starts where this one ended.
    With a `focus` (an alert's evidence), only its rows, ranked as it says (the surest
    wrong predictions first), else in time order."""
    if focus is not None and focus.wrong:
        wrong = True
    if wrong and unlabeled:
        raise UsageError("rows cannot be both wrong and unlabelled (wrong needs a label)")
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"a page holds 1 to {MAX_PAGE:,} rows, not {limit:,}", field="limit")
    after_rank, after_ts, after_id = parse_ranked_key(after)
    rank = focus_rank(focus, req.model.task)
    if (rank is None) != (after_rank is None) and after is not None:
        raise UsageError(f"the page key {after!r} is from another listing", field="after")
    regression = req.model.task == "regression"
    if min_error is None:
        min_error = 2 * req.model.offline["mae"] if "mae" in req.model.offline else 0.0
    # A column both a slice and a feature is selected once.
    names = dict.fromkeys([*req.model.slices, *req.model.features])
    require_stored(con, req.model_name, [*names, *(f.column for f in req.filters)], field="where")
    columns = raw("".join(f"p.{ident(c)}, " for c in names))
    filters, values = filter_sql(req.filters, req.model)
    params = {
        "model": req.model_name,
        "since": req.since,
        "until": req.until,
        "now": req.now,
        "after_ts": after_ts,
        "after_id": after_id,
        "regression": regression,
        "min_error": min_error,
        "limit": limit + 1,
        "values": values,
        **focus_params(focus),
    }
    condition = focus_condition(focus)
    if not wrong and not unlabeled and rank is None and "l." not in condition.sql:
        # Nothing asks about the labels: the page of predictions first, then its labels.
        rows = fetch_rows(
            con,
            "examples_page_first",
            params,
            table=predictions_table(req.model_name),
            columns=columns,
            filters=filters,
            focus=condition,
            after=raw(AFTER_TIME),
        )
    else:
        rows = fetch_rows(
            con,
            "examples_page",
            {**params, "wrong": wrong, "unlabeled": unlabeled, "after_rank": after_rank},
            table=predictions_table(req.model_name),
            columns=columns,
            filters=filters,
            focus=condition,
            rank=rank or raw("NULL::DOUBLE"),
            after=raw(AFTER_TIME) if rank is None else _after_ranked(rank),
            order=raw(TIME_ORDER if rank is None else f"{rank.sql} DESC, {TIME_ORDER}"),
        )
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        ranked = r.pop("rank")  # a time-ordered page's rows keep their old shape
        if rank is not None:
            r["rank"] = ranked
    nxt = None
    if more and rows:
        last = rows[-1]
        nxt = f"{last['ts'].isoformat()}|{last['prediction_id']}"
        if rank is not None:
            nxt = f"{RANKED}{last['rank']!r}|{nxt}"
    return ExamplesPage(rows, nxt)


def _after_ranked(rank: Fragment) -> Fragment:
    """The key condition that starts a ranked page after (rank, ts, prediction_id)."""
    return raw(
        f"($after_rank IS NULL OR {rank.sql} < $after_rank"
        f" OR ({rank.sql} = $after_rank AND {AFTER_TIME}))"
    )


def write_examples(rows: list[dict[str, Any]], path: Path) -> int:
    """Write rows to Parquet or CSV by the file's extension; return how many."""
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise UsageError(
            f"rows are written to a .parquet or .csv file, not {path.name!r}", field="out"
        )
    import polars as pl  # here: only an export needs it, and it is slow to import

    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.partial")
    if suffix == ".parquet":
        frame.write_parquet(temp)
    else:
        frame.write_csv(temp)
    temp.replace(path)
    return frame.height
