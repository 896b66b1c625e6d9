"""Slices at 10M predictions: ratios to hand-written SQL, rollup latency, peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.benchmarks.conftest import BIG_NOW, BIG_TIMEOUT, best_of
from tui.core.config.settings import load_config
from tui.core.slices.explore import slice_metrics, worst_slices
from tui.core.slices.labels import label_delay
from tui.core.slices.request import Request
from tui.core.store.connection import Store

pytestmark = pytest.mark.benchmark
WEEK = (BIG_NOW - timedelta(days=7), BIG_NOW)

HAND_METRICS = """
SELECT p.region, grouping(p.region) AS g, o_pred, o_label, o_bin, count(*), sum(score)
FROM (SELECT p.*, p.prediction AS o_pred, l.label AS o_label,
             least(floor(p.score * 20), 19)::INTEGER AS o_bin
      FROM predictions__fraud p LEFT JOIN labels l
        ON l.model = 'fraud' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      WHERE p.ts >= $s AND p.ts < $e) p
GROUP BY GROUPING SETS ((o_pred, o_label, o_bin), (p.region, o_pred, o_label, o_bin))
"""
HAND_WORST = """
SELECT region, customer_tier, device, p.prediction, l.label, count(*)
FROM predictions__fraud p LEFT JOIN labels l
  ON l.model = 'fraud' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
WHERE p.ts >= $s AND p.ts < $e
GROUP BY GROUPING SETS ((p.prediction, l.label), (region, p.prediction, l.label),
  (customer_tier, p.prediction, l.label), (device, p.prediction, l.label),
  (region, customer_tier, p.prediction, l.label), (region, device, p.prediction, l.label),
  (customer_tier, device, p.prediction, l.label))
"""
HAND_DELAY = """
SELECT date_trunc('day', p.ts) AS day, count(*),
  count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 1 day),
  count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 3 day),
  count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 7 day),
  count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 14 day),
  count(l.prediction_id), quantile_cont(epoch(l.labeled_at - p.ts), 0.5),
  quantile_cont(epoch(l.labeled_at - p.ts), 0.9), quantile_cont(epoch(l.labeled_at - p.ts), 0.99),
  count(*) FILTER (WHERE l.prediction_id IS NULL AND p.ts <= $now - INTERVAL 4 day)
FROM predictions__fraud p LEFT JOIN labels l
  ON l.model = 'fraud' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
WHERE p.ts >= $s AND p.ts < $e GROUP BY ALL
"""


def _hand(db: Path, sql: str) -> None:
    con = duckdb.connect(str(db), read_only=True)
    con.execute(sql, {"s": WEEK[0], "e": WEEK[1], "now": BIG_NOW}).fetchall()
    con.close()


@pytest.mark.timeout(BIG_TIMEOUT)
def test_slices_at_ten_million(big_store: Path) -> None:
    settings = load_config(big_store)
    store = Store(settings.store_path)
    model = settings.model("fraud")
    req = Request("fraud", model, WEEK[0], WEEK[1], BIG_NOW)
    with store.read() as con:
        total = con.execute("SELECT count(*) FROM predictions__fraud").fetchall()[0][0]
    assert total >= 9_900_000

    def ours(fn: object, **kw: object) -> None:
        with store.read() as con:
            fn(con, req, **kw)  # type: ignore[operator]

    figures: dict[str, tuple[float, float, float | None]] = {}
    hand = best_of(3, lambda: _hand(settings.store_path, HAND_METRICS))
    raw = best_of(3, lambda: ours(slice_metrics, by=["region"], prefer_rollups=False))
    rolled = best_of(5, lambda: ours(slice_metrics, by=["region"]))
    figures["metrics"] = (hand, raw, rolled)
    hand_w = best_of(3, lambda: _hand(settings.store_path, HAND_WORST))
    raw_w = best_of(3, lambda: ours(worst_slices, prefer_rollups=False))
    rolled_w = best_of(3, lambda: ours(worst_slices))
    figures["worst"] = (hand_w, raw_w, rolled_w)
    hand_d = best_of(3, lambda: _hand(settings.store_path, HAND_DELAY))
    ours_d = best_of(3, lambda: ours(label_delay))
    figures["delay"] = (hand_d, ours_d, None)
    for name, (h, r, ru) in figures.items():
        rolled_text = f", from rollups {ru * 1000:.0f} ms" if ru is not None else ""
        print(
            f"\n{name} over 7 of 14 days at {total:,} rows: hand-written SQL {h:.2f} s, "
            f"oncall raw {r:.2f} s (ratio {r / h:.2f}){rolled_text}"
        )
    assert raw / hand <= 1.5
    assert rolled <= 0.1
    assert raw_w / hand_w <= 1.5
    assert rolled_w <= 1.0
    assert ours_d / hand_d <= 1.5


@pytest.mark.timeout(BIG_TIMEOUT)
def test_peak_memory_at_ten_million(big_store: Path) -> None:
    code = textwrap.dedent(f"""
        import json
        from datetime import datetime, timedelta
        from tui.core.config.settings import load_config
        from tui.core.slices.labels import label_delay
        from tui.core.slices.request import Request
        from tui.core.slices.explore import slice_metrics, worst_slices
        from tui.core.store.connection import Store
        settings = load_config({str(big_store)!r})
        now = datetime.fromisoformat({BIG_NOW.isoformat()!r})
        req = Request("fraud", settings.model("fraud"), now - timedelta(days=14), now, now)
        with Store(settings.store_path).read() as con:
            slice_metrics(con, req, ["region", "device"], prefer_rollups=False)
            worst_slices(con, req, max_depth=3, prefer_rollups=False)
            label_delay(con, req, "region")
        # VmHWM belongs to this process image; ru_maxrss would carry over the peak of the
        # (large) test process this one was forked from.
        status = open("/proc/self/status").read()
        print(json.dumps(int(status.split("VmHWM:")[1].split()[0])))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mb = json.loads(out.stdout.strip().splitlines()[-1]) / 1024
    print(
        f"\npeak memory of slice metrics, worst slices (depth 3) and label delay over "
        f"14 days of 10M rows: {peak_mb:.0f} MB"
    )
    assert peak_mb <= 1200
