"""Storing results: only what is new or changed is written, and the watermarks moved."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from tui.core.checks.context import ModelRun
from tui.core.checks.results import Result
from tui.core.store.connection import execute, fetch_rows


def store_results(con: duckdb.DuckDBPyConnection, run: ModelRun, now: datetime) -> list[Result]:
    """Write results that are new or changed; return those (repeat runs change nothing).

    All of them go to DuckDB at once and one join against the stored ones says which
    changed: a long history's run compares hundreds of thousands of results."""
    if not run.results:
        return []
    start = min(r.window_start for r in run.results)
    end = max(r.window_start for r in run.results) + timedelta(seconds=1)
    frame = pl.DataFrame(
        [r.row(now) for r in run.results], schema=RESULT_SCHEMA, orient="row"
    ).with_row_index("idx")
    con.register("new_results", frame)
    try:
        changed_at = [
            int(r["idx"])
            for r in fetch_rows(
                con, "results_changed", {"model": run.model, "start": start, "end": end}
            )
        ]
        if changed_at:
            execute(con, "results_put_changed", {"changed": changed_at})
    finally:
        con.unregister("new_results")
    for kind, span in run.spans.items():
        if not span.empty:
            execute(con, "watermark_set", {"model": run.model, "kind": kind, "until": span.end})
    return [run.results[i] for i in changed_at]


RESULT_SCHEMA: dict[str, Any] = {
    "fingerprint": pl.String,
    "model": pl.String,
    "check_name": pl.String,
    "kind": pl.String,
    "feature": pl.String,
    "slice": pl.String,
    "window_start": pl.Datetime("us"),
    "window_end": pl.Datetime("us"),
    "known_at": pl.Datetime("us"),
    "value": pl.Float64,
    "threshold": pl.Float64,
    "status": pl.String,
    "n": pl.Int64,
    "detail": pl.String,
    "evaluated_at": pl.Datetime("us"),
}


def results_json(results: list[Result]) -> list[dict[str, Any]]:
    """Results for `--json`, failing ones first."""
    order = {"critical": 0, "warning": 1, "insufficient": 2, "covered": 3, "pass": 4}
    ranked = sorted(results, key=lambda r: (order[r.status], r.model, r.check, r.window_start))
    return [json.loads(json.dumps(r.to_dict(), default=str)) for r in ranked]
