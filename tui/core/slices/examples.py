"""Examples: the rows behind any number, paged by key, exportable as a validation delta."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from tui.core.errors import UsageError
from tui.core.slices.records import ExamplesPage
from tui.core.slices.request import Request
from tui.core.store.connection import fetch_rows
from tui.core.store.filters import filter_sql, require_stored
from tui.core.store.sqlparts import ident, predictions_table, raw

MAX_PAGE = 10_000


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


def examples_page(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    *,
    wrong: bool = False,
    unlabeled: bool = False,
    limit: int = 50,
    after: str | None = None,
    min_error: float | None = None,
) -> ExamplesPage:
    """One page of rows (at most `limit`) after the key `after`, and the key of the next
    page (None at the end). Never an OFFSET: the next page starts where this one ended."""
    if wrong and unlabeled:
        raise UsageError("rows cannot be both wrong and unlabelled (wrong needs a label)")
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"a page holds 1 to {MAX_PAGE:,} rows, not {limit:,}", field="limit")
    after_ts, after_id = parse_key(after)
    regression = req.model.task == "regression"
    if min_error is None:
        min_error = 2 * req.model.offline["mae"] if "mae" in req.model.offline else 0.0
    # A column both a slice and a feature is selected once.
    names = dict.fromkeys([*req.model.slices, *req.model.features])
    require_stored(con, req.model_name, [*names, *(f.column for f in req.filters)], field="where")
    columns = raw("".join(f"p.{ident(c)}, " for c in names))
    filters, values = filter_sql(req.filters, req.model)
    rows = fetch_rows(
        con,
        "examples_page",
        {
            "model": req.model_name,
            "since": req.since,
            "until": req.until,
            "now": req.now,
            "after_ts": after_ts,
            "after_id": after_id,
            "wrong": wrong,
            "unlabeled": unlabeled,
            "regression": regression,
            "min_error": min_error,
            "limit": limit + 1,
            "values": values,
        },
        table=predictions_table(req.model_name),
        columns=columns,
        filters=filters,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = f"{rows[-1]['ts'].isoformat()}|{rows[-1]['prediction_id']}" if more and rows else None
    return ExamplesPage(rows, nxt)


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
