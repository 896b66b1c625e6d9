"""Estimates at 10M predictions over 300 days: one grouped query, as a ratio to the
hand-written query of the realised metrics over the same rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from tests.benchmarks.conftest import BIG_ROWS, best_of
from tui.core.checks.estimated import fitted_estimate
from tui.core.config.settings import load_config
from tui.core.ingest.load import ingest_file
from tui.core.slices.estimates import estimate
from tui.core.slices.request import Request
from tui.core.store.connection import Store

# Generating and ingesting 10M rows takes minutes on a shared machine.
pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(3600)]
DAYS = 300
START = datetime(2026, 1, 1)
NOW = START + timedelta(days=DAYS)

CONFIG = """\
store: store.duckdb
ingest: {max_past: 3650d}
models:
  loans:
    task: binary
    positive: "1"
    slices: [region]
    baseline: {file: ref.parquet}
"""

# The realised metrics per day, as one would write them by hand: outcome counts per day.
HAND_REALISED = """
SELECT time_bucket(INTERVAL 1 day, p.ts) AS w, p.prediction, l.label, count(*) AS n
FROM predictions__loans p LEFT JOIN labels l
  ON l.model = 'loans' AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
WHERE p.ts >= $s AND p.ts < $e
GROUP BY ALL
"""


def _rows(
    rng: np.random.Generator, n: int, start: datetime, days: int, prefix: str
) -> pl.DataFrame:
    raw = rng.beta(2, 3, n)
    seconds = np.sort(rng.integers(0, days * 86400, n)).astype("timedelta64[s]")
    return pl.DataFrame(
        {
            "prediction_id": [f"{prefix}{i}" for i in range(n)],
            "ts": (np.datetime64(start, "s") + seconds).astype("datetime64[us]"),
            "prediction": np.where(raw >= 0.5, "1", "0"),
            "score": np.round(raw, 4),
            "region": rng.choice(["north", "south", "east", "west"], n),
            # Miscalibrated: the calibration has work to do.
            "label": (rng.random(n) < raw**1.7).astype(int).astype(str),
        }
    )


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10M predictions over 300 days, 70% labelled, and a labelled reference file."""
    folder = tmp_path_factory.mktemp("estimates-big")
    (folder / "oncall.yaml").write_text(CONFIG)
    rng = np.random.default_rng(15)
    _rows(rng, 50_000, START - timedelta(days=30), 30, "r").write_parquet(folder / "ref.parquet")
    frame = _rows(rng, BIG_ROWS, START, DAYS, "p")
    frame.drop("label").write_parquet(folder / "preds.parquet")
    labelled = frame.filter(pl.Series(rng.random(BIG_ROWS) < 0.7)).select(
        "prediction_id", "label", labeled_at=pl.col("ts") + pl.duration(days=2)
    )
    labelled.write_parquet(folder / "labels.parquet")
    del frame, labelled
    settings = load_config(folder / "oncall.yaml")
    store = Store(settings.store_path)
    ingest_file(
        store, settings, "predictions", "loans", folder / "preds.parquet", actor="b", now=NOW
    )
    ingest_file(store, settings, "labels", "loans", folder / "labels.parquet", actor="b", now=NOW)
    return folder / "oncall.yaml"


def test_the_estimate_over_300_days_is_one_grouped_query(long_store: Path) -> None:
    settings = load_config(long_store)
    store = Store(settings.store_path)
    req = Request("loans", settings.model("loans"), START, NOW, NOW)
    with store.read() as con:
        fitted = fitted_estimate(con, settings, "loans", NOW)
        total = con.execute("SELECT count(*) FROM predictions__loans").fetchall()[0][0]
    assert total == BIG_ROWS

    def hand() -> None:
        con = duckdb.connect(str(settings.store_path), read_only=True)
        con.execute(HAND_REALISED, {"s": START, "e": NOW, "now": NOW}).fetchall()
        con.close()

    def ours(every: timedelta | None, by: str | None = None) -> None:
        with store.read() as con:
            report = estimate(con, req, fitted, every=every, by=by)
        assert report.rows

    hand_s = best_of(3, hand)
    daily = best_of(3, lambda: ours(timedelta(days=1)))
    weekly = best_of(3, lambda: ours(timedelta(days=7)))
    by_region = best_of(3, lambda: ours(timedelta(days=1), "region"))
    print(
        f"\nestimate over {DAYS} days of {total:,} rows: realised (hand-written SQL) "
        f"{hand_s:.2f} s; estimate per day {daily:.2f} s (ratio {daily / hand_s:.2f}), "
        f"per week {weekly:.2f} s (ratio {weekly / hand_s:.2f}), per day and region "
        f"{by_region:.2f} s (ratio {by_region / hand_s:.2f})"
    )
    assert daily / hand_s <= 3.0
