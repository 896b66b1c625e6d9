"""Label delay: how long ground truth takes, how much has arrived, what is overdue."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from tui.core.slices.records import DelayDay, DelayReport, DelayTotal
from tui.core.slices.request import Request
from tui.core.store.connection import fetch_rows
from tui.core.store.filters import require_stored, unknown_column
from tui.core.store.sqlparts import ident, predictions_table, raw, slice_value

HORIZONS = (1, 3, 7, 14)


def _group(value: object) -> str | None:
    # Slice values are text wherever slices are read (a numeric slice reads "3").
    return None if value is None else slice_value(value)


def label_delay(con: duckdb.DuckDBPyConnection, req: Request, by: str | None = None) -> DelayReport:
    """Per prediction day: the fraction labelled within 1, 3, 7 and 14 days (null while a
    day's predictions have not all been that old) and by now; delay percentiles; and
    overdue predictions (older than the model's expected delay, still unlabelled)."""
    if by is not None and by not in req.model.slices:
        raise unknown_column(
            req.model_name, by, list(req.model.slices), field="by", kind="slice column"
        )
    require_stored(con, req.model_name, [by] if by else [], field="by")
    expected = req.model.labels.expected_delay
    params = {
        "model": req.model_name,
        "since": req.since,
        "until": req.until,
        "now": req.now,
        "expected": int(expected.total_seconds()),
    }
    day = "date_trunc('day', p.ts)"
    if by:
        col = f"p.{ident(by)}"
        select, sets = raw(f"{col} AS grp, "), raw(f"({day}, {col}), ({col})")
    else:
        select, sets = raw("NULL AS grp, "), raw(f"({day}), ()")
    found = fetch_rows(
        con,
        "labels_delay_days",
        params,
        table=predictions_table(req.model_name),
        group_select=select,
        grouping_sets=sets,
    )
    days = [r for r in found if not r["is_total"]]
    totals = [r for r in found if r["is_total"] and r["n"]]
    rows = []
    for d in days:
        n = int(d["n"])
        day_end: datetime = d["day"] + timedelta(days=1)
        within: dict[int, float | None] = {}
        for h in HORIZONS:
            # A day's fraction within h days is only known once its last prediction is h days old.
            seen = day_end + timedelta(days=h) <= req.now
            within[h] = int(d[f"within_{h}d"]) / n if seen and n else None
        rows.append(
            DelayDay(
                d["day"],
                n,
                within,
                int(d["labeled"]) / n if n else None,
                d["p50_hours"],
                d["p90_hours"],
                d["p99_hours"],
                int(d["overdue"]),
                by,
                _group(d["grp"]) if by else None,
            )
        )
    summary = [
        DelayTotal(
            t["n"],
            t["labeled"],
            t["p50_hours"],
            t["p90_hours"],
            t["p99_hours"],
            t["overdue"],
            by,
            _group(t["grp"]) if by else None,
        )
        for t in totals
    ]
    return DelayReport(req.model_name, expected.total_seconds() / 3600, rows, summary)
