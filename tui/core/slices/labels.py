"""Label delay: how long ground truth takes, how much has arrived, what is overdue.

Read as a histogram of delays (per prediction day: rows per delay horizon and per
log-spaced delay bucket, see `tui.core.ingest.rollups`), the whole days of the window
from the daily delay rollups and its ragged edges from raw rows; the two keep the same
histogram, so they add and give the same report.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.config.times import floor_time
from tui.core.ingest.rollups import (
    DELAY_BUCKET,
    DELAY_HORIZON,
    DELAY_STEPS,
    ZERO_BUCKET,
    delays_table,
    dirty_days,
)
from tui.core.slices.outcomes import edges, known_days, whole_days
from tui.core.slices.records import DelayDay, DelayReport, DelayTotal
from tui.core.slices.request import Request
from tui.core.store.connection import fetch_rows
from tui.core.store.filters import require_stored, unknown_column
from tui.core.store.sqlparts import ident, predictions_table, raw, slice_value

HORIZONS = (1, 3, 7, 14)
PERCENTILES = (0.5, 0.9, 0.99)
DAY = timedelta(days=1)


def _group(value: object) -> str | None:
    # Slice values are text wherever slices are read (a numeric slice reads "3").
    return None if value is None else slice_value(value)


@dataclass
class Histogram:
    """Rows of one day (or the window) and group: in total, overdue, per horizon (None:
    unlabelled) and per delay bucket among the labelled."""

    n: int = 0
    overdue: int = 0
    horizons: dict[int | None, int] = field(default_factory=lambda: defaultdict(int))
    buckets: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, row: dict[str, Any]) -> None:
        n = int(row["n"])
        self.n += n
        self.overdue += int(row["overdue"] or 0)
        horizon = row["horizon"]
        self.horizons[None if horizon is None else int(horizon)] += n
        if horizon is not None:
            self.buckets[int(row["bucket"])] += n

    @property
    def labeled(self) -> int:
        return self.n - self.horizons.get(None, 0)

    def within(self, days: int) -> int:
        """Labelled rows whose label came at most `days` after the prediction."""
        return sum(v for h, v in self.horizons.items() if h is not None and h <= days)

    def percentile(self, q: float) -> float | None:
        """The delay in hours at quantile `q` of the labelled rows: the midpoint (in log
        scale) of the bucket holding it; 0 for delays of zero or less."""
        total = self.labeled
        if not total:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                return 0.0 if bucket == ZERO_BUCKET else math.exp((bucket + 0.5) / DELAY_STEPS)
        return None  # not reached: the buckets hold every labelled row


def _rollup_days(
    con: duckdb.DuckDBPyConnection, req: Request, until: datetime, by: str | None
) -> tuple[datetime, datetime] | None:
    """The whole days the delay rollups answer (the leading days whose labels were all
    known by now, nothing waiting for a rebuild, the table kept with the column grouped
    by), or None."""
    days = whole_days(req.since, until)
    if days is None:
        return None
    table = f"label_delays__{req.model_name}"
    kept = {str(r["column_name"]) for r in fetch_rows(con, "store_columns", {"table_name": table})}
    if not kept or (by is not None and by not in kept):
        return None
    days = known_days(con, req, days)
    if days is None:
        return None
    pending = dirty_days(con, req.model_name)
    return None if any(days[0] <= d < days[1] for d in pending) else days  # type: ignore[operator]


def delay_histograms(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    by: str | None,
    cutoff: datetime,
    prefer_rollups: bool = True,
) -> list[dict[str, Any]]:
    """The delay histogram rows (day, grp, horizon, bucket, n, overdue) of the window,
    predictions up to `now`: whole days from the rollups (overdue by whole hours, plus
    the rows of the hour holding `cutoff` up to it from raw rows), the edges raw."""
    until = min(req.until, req.now + timedelta(microseconds=1))  # rows at or before now
    days = _rollup_days(con, req, until, by) if prefer_rollups else None
    parts = edges(req.since, until, days)
    rows: list[dict[str, Any]] = []
    group = raw(f"{f'p.{ident(by)}' if by else 'NULL'} AS grp, ")
    if days is not None:
        rows += fetch_rows(
            con,
            "labels_delay_rollup",
            {"since": days[0], "until": days[1], "cutoff": cutoff, "by": by},
            delays=delays_table(req.model_name),
            group_select=group,
        )
        hour = floor_time(cutoff, timedelta(hours=1))
        if days[0] <= hour < days[1]:
            rows += fetch_rows(
                con,
                "labels_overdue_raw",
                {"model": req.model_name, "since": hour, "cutoff": cutoff, "now": req.now},
                table=predictions_table(req.model_name),
                group_select=group,
            )
    for since, end in parts:
        rows += fetch_rows(
            con,
            "labels_delay_hist",
            {
                "model": req.model_name,
                "since": since,
                "until": end,
                "now": req.now,
                "cutoff": cutoff,
            },
            table=predictions_table(req.model_name),
            group_select=group,
            horizon=DELAY_HORIZON,
            bucket=DELAY_BUCKET,
        )
    return rows


def label_delay(
    con: duckdb.DuckDBPyConnection,
    req: Request,
    by: str | None = None,
    prefer_rollups: bool = True,
) -> DelayReport:
    """Per prediction day: the fraction labelled within 1, 3, 7 and 14 days (null while a
    day's predictions have not all been that old) and by now; delay percentiles (read
    from the delay histogram, within ~1.6%); and overdue predictions (older than the
    model's expected delay, still unlabelled). Labels count only if known by now."""
    if by is not None and by not in req.model.slices:
        raise unknown_column(
            req.model_name, by, list(req.model.slices), field="by", kind="slice column"
        )
    require_stored(con, req.model_name, [by] if by else [], field="by")
    expected = req.model.labels.expected_delay
    per_day: dict[tuple[datetime, Any], Histogram] = defaultdict(Histogram)
    totals: dict[Any, Histogram] = defaultdict(Histogram)
    for row in delay_histograms(con, req, by, req.now - expected, prefer_rollups):
        per_day[(row["day"], row["grp"])].add(row)
        totals[row["grp"]].add(row)
    rows = []
    for (day, grp), h in sorted(per_day.items(), key=lambda kv: (kv[0][0], *_order(kv[0][1]))):
        n = h.n
        day_end: datetime = day + DAY
        within: dict[int, float | None] = {}
        for d in HORIZONS:
            # A day's fraction within d days is only known once its last prediction is d days old.
            seen = day_end + timedelta(days=d) <= req.now
            within[d] = h.within(d) / n if seen and n else None
        p50, p90, p99 = (h.percentile(q) for q in PERCENTILES)
        rows.append(
            DelayDay(
                day,
                n,
                within,
                h.labeled / n if n else None,
                p50,
                p90,
                p99,
                h.overdue,
                by,
                _group(grp) if by else None,
            )
        )
    summary = [
        DelayTotal(
            t.n,
            t.labeled,
            t.percentile(0.5),
            t.percentile(0.9),
            t.percentile(0.99),
            t.overdue,
            by,
            _group(grp) if by else None,
        )
        for grp, t in sorted(totals.items(), key=lambda kv: _order(kv[0]))
        if t.n
    ]
    return DelayReport(req.model_name, expected.total_seconds() / 3600, rows, summary)


def _order(grp: Any) -> tuple[bool, Any]:
    # By slice value (the store's order of groups is not fixed), NULL last.
    return (grp is None, grp)
