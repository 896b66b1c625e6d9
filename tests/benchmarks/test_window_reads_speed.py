"""Windowed reads at 10M predictions: a 7-day `slices metrics`/`worst` and `labels delay`
over the app's default window (never whole days) against
hand-written SQL over the same window's rollups plus its raw edges; an examples page."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.benchmarks.conftest import BIG_NOW, best_of
from tui.core.config.settings import load_config
from tui.core.slices.examples import examples_page
from tui.core.slices.explore import slice_metrics, worst_slices
from tui.core.slices.labels import label_delay
from tui.core.slices.outcomes import edges, whole_days
from tui.core.slices.request import Request
from tui.core.store.connection import Store

pytestmark = pytest.mark.benchmark
# The app's window, [now - 7 days, now), mid-afternoon after the data's last day (every
# label known): it starts and ends inside a day, so its edges are read raw.
NOW = BIG_NOW + timedelta(hours=15, minutes=17)
RATIO = 1.5
PAGE_SECONDS = 0.100

# The rollups' whole days, then the raw edges with labels bounded by the window.
HAND_ROLLUP_METRICS = """
SELECT region, grouping(region), prediction, label, score_bin, sum(n), sum(sum_score)
FROM rollups__fraud WHERE day >= $s AND day < $e
GROUP BY GROUPING SETS ((prediction, label, score_bin), (region, prediction, label, score_bin))
"""
HAND_RAW_METRICS = """
SELECT region, grouping(region), o_pred, o_label, o_bin, count(*), sum(score)
FROM (SELECT p.*, p.prediction AS o_pred, l.label AS o_label,
             least(floor(p.score * 20), 19)::INTEGER AS o_bin
      FROM predictions__fraud p LEFT JOIN labels l
        ON l.model = 'fraud' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
       AND l.pred_ts >= $s AND l.pred_ts < $e
      WHERE p.ts >= $s AND p.ts < $e) p
GROUP BY GROUPING SETS ((o_pred, o_label, o_bin), (region, o_pred, o_label, o_bin))
"""
HAND_ROLLUP_WORST = """
SELECT region, customer_tier, device, prediction, label, sum(n)
FROM rollups__fraud WHERE day >= $s AND day < $e
GROUP BY GROUPING SETS ((prediction, label), (region, prediction, label),
  (customer_tier, prediction, label), (device, prediction, label),
  (region, customer_tier, prediction, label), (region, device, prediction, label),
  (customer_tier, device, prediction, label))
"""
HAND_RAW_WORST = """
SELECT region, customer_tier, device, prediction, label, count(*)
FROM (SELECT p.region, p.customer_tier, p.device, p.prediction, l.label
      FROM predictions__fraud p LEFT JOIN labels l
        ON l.model = 'fraud' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
       AND l.pred_ts >= $s AND l.pred_ts < $e
      WHERE p.ts >= $s AND p.ts < $e)
GROUP BY GROUPING SETS ((prediction, label), (region, prediction, label),
  (customer_tier, prediction, label), (device, prediction, label),
  (region, customer_tier, prediction, label), (region, device, prediction, label),
  (customer_tier, device, prediction, label))
"""
HAND_ROLLUP_DELAY = """
SELECT day, horizon, bucket, sum(n) FROM label_delays__fraud
WHERE day >= $s AND day < $e AND grouped_by IS NULL GROUP BY ALL
"""
HAND_RAW_DELAY = """
SELECT date_trunc('day', p.ts), d <= 86400, d <= 3 * 86400, d <= 7 * 86400, d <= 14 * 86400,
       floor(ln(d / 3600) * 32)::INTEGER, count(*),
       count(*) FILTER (WHERE d IS NULL AND p.ts <= $now - INTERVAL 4 day)
FROM (SELECT p.ts, epoch(l.labeled_at - p.ts) AS d
      FROM predictions__fraud p LEFT JOIN labels l
        ON l.model = 'fraud' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
       AND l.pred_ts >= $s AND l.pred_ts < $e
      WHERE p.ts >= $s AND p.ts < $e) p
GROUP BY ALL
"""


def _hand(db: Path, parts: list[Part]) -> None:
    con = duckdb.connect(str(db), read_only=True)
    for sql, s, e in parts:
        params = {"s": s, "e": e} if "$now" not in sql else {"s": s, "e": e, "now": NOW}
        con.execute(sql, params).fetchall()
    con.close()


Part = tuple[str, datetime, datetime]


def _split(
    rollup: str, raw: str, days: tuple[datetime, datetime], since: datetime, until: datetime
) -> list[Part]:
    """The rollup query over the whole days, the raw one over each edge."""
    return [(rollup, *days), *((raw, a, b) for a, b in edges(since, until, days))]


def test_window_reads_at_ten_million(big_store: Path) -> None:
    settings = load_config(big_store)
    store = Store(settings.store_path)
    model = settings.model("fraud")
    since, until = NOW - timedelta(days=7), NOW
    req = Request("fraud", model, since, until, NOW)
    with store.read() as con:
        _, source = slice_metrics(con, req, ["region"])
    assert source == "rollups+raw", source
    days = whole_days(since, until)
    assert days is not None

    def ours(fn: object, *args: object, **kw: object) -> None:
        with store.read() as con:
            fn(con, req, *args, **kw)  # type: ignore[operator]

    db = settings.store_path
    metrics = _split(HAND_ROLLUP_METRICS, HAND_RAW_METRICS, days, since, until)
    worst = _split(HAND_ROLLUP_WORST, HAND_RAW_WORST, days, since, until)
    delay = _split(HAND_ROLLUP_DELAY, HAND_RAW_DELAY, days, since, until)
    figures = {
        "slices metrics": (
            best_of(3, lambda: ours(slice_metrics, ["region"])),
            best_of(3, lambda: _hand(db, metrics)),
        ),
        "slices worst": (
            best_of(3, lambda: ours(worst_slices)),
            best_of(3, lambda: _hand(db, worst)),
        ),
        "labels delay": (
            best_of(3, lambda: ours(label_delay)),
            best_of(3, lambda: _hand(db, delay)),
        ),
    }
    # The page itself, on an open connection (opening the store is the same for any read).
    with store.read() as con:
        page = best_of(5, lambda: examples_page(con, req, limit=50))
    for name, (got, hand) in figures.items():
        print(f"\n{name}: {got:.3f}s, hand-written rollups + raw edges {hand:.3f}s")
    print(f"examples page of 50: {page * 1000:.0f} ms")
    assert page <= PAGE_SECONDS
    for name, (got, hand) in figures.items():
        assert got <= RATIO * hand, f"{name}: {got:.3f}s against {hand:.3f}s"
