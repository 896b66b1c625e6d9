"""Checks read SLO and offline-gap outcomes from the daily rollups, which ingest keeps
up to date as new rows arrive: the rollups are what a rebuild from raw rows makes, and
the checks' results are what reading raw rows gives."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.test_incremental_checks import CONFIG, _deliveries, _ingest, _setup, _stored, _world
from tui.core.config.settings import Settings, load_config
from tui.core.ingest import rollups
from tui.core.ingest.load import ingest_file
from tui.core.monitor.run import run_checks
from tui.core.slices import outcomes
from tui.core.store.connection import Store

REGRESSION = """\
  r:
    task: regression
    slices: [tier]
    features:
      x: {type: numeric, min: 0, max: 100}
    labels: {expected_delay: 2d}
    slos:
      - {metric: mae, max: 0.5, window: 1d, min_labeled: 20}
"""


def _with_regression(settings_dir: Path) -> Settings:
    _setup(settings_dir)
    text = CONFIG.replace("checks:\n", REGRESSION + "checks:\n")
    (settings_dir / "oncall.yaml").write_text(text)
    return load_config(settings_dir / "oncall.yaml")


def _tables(settings: Settings, model: str) -> dict[str, list[tuple[Any, ...]]]:
    with Store(settings.store_path).read() as con:
        return {
            t: con.execute(f'SELECT * FROM "{t}__{model}" ORDER BY ALL').fetchall()  # noqa: S608
            for t in ("rollups", "label_delays")
        }


def _close(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9):
                    return False
            elif u != v:
                return False
    return True


def _ingest_both(tmp: Path, settings: Settings, at: datetime, p: Any, ls: Any, k: int) -> None:
    _ingest(tmp, settings, at, p, ls, k)
    store = Store(settings.store_path)
    reg_p = p.with_columns(prediction=pl.col("score") * 2, score=pl.lit(None, pl.Float64))
    reg_l = ls.with_columns(label=(pl.col("label").cast(pl.Float64) * 2 + 0.25).cast(pl.Utf8))
    if p.height:
        reg_p.drop("score").write_parquet(tmp / f"rp{k}.parquet")
        ingest_file(store, settings, "predictions", "r", tmp / f"rp{k}.parquet", actor="t", now=at)
    if ls.height:
        reg_l.write_parquet(tmp / f"rl{k}.parquet")
        ingest_file(store, settings, "labels", "r", tmp / f"rl{k}.parquet", actor="t", now=at)


def test_ingest_of_new_rows_keeps_the_rollups_a_rebuild_would_make(tmp_path: Path) -> None:
    preds, labels = _world(5)
    settings = _with_regression(tmp_path / "s")
    for k, (at, p, ls) in enumerate(_deliveries(preds, labels)):
        _ingest_both(tmp_path / "s", settings, at, p, ls, k)
    store = Store(settings.store_path)
    with store.read() as con:
        # Every file held new rows only: nothing waits for a rebuild.
        assert con.execute("SELECT count(*) FROM rollup_dirty").fetchall() == [(0,)]
    kept = {m: _tables(settings, m) for m in ("m", "r")}
    assert all(kept[m]["rollups"] and kept[m]["label_delays"] for m in kept)
    with store.write() as con:
        for m in ("m", "r"):
            table = f"predictions__{m}"
            con.execute(
                "INSERT OR IGNORE INTO rollup_dirty "  # noqa: S608
                f"SELECT DISTINCT $m, date_trunc('day', ts) FROM {table}",
                {"m": m},
            )
            rollups.rebuild(con, m, settings.model(m))
    for m in ("m", "r"):
        rebuilt = _tables(settings, m)
        for table in ("rollups", "label_delays"):
            assert _close(kept[m][table], rebuilt[table]), (m, table)


def test_a_relabelling_file_marks_its_days_for_a_rebuild(tmp_path: Path) -> None:
    preds, labels = _world(6)
    settings = _setup(tmp_path / "s")
    deliveries = _deliveries(preds, labels)
    for k, (at, p, ls) in enumerate(deliveries[:4]):
        _ingest(tmp_path / "s", settings, at, p, ls, k)
    at = deliveries[3][0]
    flipped = (
        deliveries[1][2]
        .head(30)
        .with_columns(
            label=pl.when(pl.col("label") == "1").then(pl.lit("0")).otherwise(pl.lit("1")),
            labeled_at=pl.lit(at),
        )
    )
    _ingest(tmp_path / "s", settings, at, flipped.clear(), flipped, 99)
    with Store(settings.store_path).read() as con:
        assert con.execute("SELECT count(*) FROM rollup_dirty").fetchall()[0][0] > 0


@pytest.mark.parametrize("seed", [3, 4])
def test_checks_from_rollups_store_what_raw_rows_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    preds, labels = _world(seed)
    deliveries = _deliveries(preds, labels)
    real_runs = rollups.check_rollup_runs
    rolled: list[int] = []

    def spy(*args: Any) -> Any:
        out = real_runs(*args)
        rolled.append(sum(1 for *_, r in out if r))
        return out

    monkeypatch.setattr(outcomes, "check_rollup_runs", spy)
    settings = _with_regression(tmp_path / "rollups")
    for k, (at, p, ls) in enumerate(deliveries):
        _ingest_both(tmp_path / "rollups", settings, at, p, ls, k)
        run_checks(Store(settings.store_path), settings, at)
    # The runs did read from the rollups (else this test proves nothing).
    assert sum(rolled) > 0

    monkeypatch.setattr(
        outcomes, "check_rollup_runs", lambda _c, _n, _m, _s, start, end, *_: [(start, end, False)]
    )
    raw = _with_regression(tmp_path / "raw")
    for k, (at, p, ls) in enumerate(deliveries):
        _ingest_both(tmp_path / "raw", raw, at, p, ls, k)
        run_checks(Store(raw.store_path), raw, at)
    got, got_alerts = _stored(settings)
    want, want_alerts = _stored(raw)
    assert got == want
    assert got_alerts == want_alerts
    assert any(r[2] == "slo" and r[10] in ("warning", "critical") for r in got)


def test_a_day_with_labels_known_later_is_read_raw(tmp_path: Path) -> None:
    preds, labels = _world(7)
    settings = _setup(tmp_path / "s")
    deliveries = _deliveries(preds, labels)
    for k, (at, p, ls) in enumerate(deliveries):
        _ingest(tmp_path / "s", settings, at, p, ls, k)
    start = datetime(2026, 11, 1)
    end = start + timedelta(days=5)
    with Store(settings.store_path).read() as con:
        late = con.execute(
            "SELECT max(pred_ts) FROM labels WHERE labeled_at > $now", {"now": end}
        ).fetchall()[0][0]
        all_known = rollups.check_rollup_runs(
            con,
            "m",
            settings.model("m"),
            ["tier"],
            start,
            end,
            timedelta(days=1),
            end + timedelta(days=9),
        )
        at_three = rollups.check_rollup_runs(
            con,
            "m",
            settings.model("m"),
            ["tier"],
            start,
            end,
            timedelta(days=1),
            start + timedelta(days=3),
        )
    assert all_known == [(start, end, True)]
    # Before the labels of day 2 on were known, those days come from raw rows.
    first_raw = next(lo for lo, _hi, rolled in at_three if not rolled)
    assert at_three[0] == (start, first_raw, True) or first_raw == start
    assert at_three[-1][1] == end and not at_three[-1][2]
    assert late is None or late >= first_raw
