"""Incremental checks: a run re-judges only windows whose rows or labels changed, and
what it stores is what judging everything again would have stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest

from tui.core.checks import incremental
from tui.core.checks.evaluate import evaluate_model
from tui.core.config.settings import Settings, load_config
from tui.core.ingest.load import ingest_file
from tui.core.monitor.run import run_checks, run_checks_to_end
from tui.core.store.connection import Store

START = datetime(2026, 11, 1)
DAYS = 5
CONFIG = """\
store: s.duckdb
models:
  m:
    task: binary
    positive: "1"
    threshold: 0.5
    slices: [tier]
    features:
      x: {type: numeric, min: 0, max: 100}
    baseline: {start: 2026-11-01, end: 2026-11-01}
    labels: {expected_delay: 2d}
    offline: {f1: 0.7}
    slos:
      - {metric: f1, min: 0.6, window: 1d, min_labeled: 40}
      - {metric: precision, min: 0.6, window: 1d, min_labeled: 20, by: tier}
checks:
  window: 6h
"""


def _world(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Five days of predictions (a few a quarter hour) and their labels, which arrive
    1 to 40 hours after the prediction; day 1's labels are mostly wrong."""
    rng = np.random.default_rng(seed)
    n = DAYS * 96 * 3
    ts = [START + timedelta(minutes=5 * i) for i in range(n)]
    score = rng.random(n)
    truth = np.where(rng.random(n) < 0.8, score > 0.5, score <= 0.5)
    day1 = np.array([START + timedelta(days=1) <= t < START + timedelta(days=2) for t in ts])
    truth = np.where(day1 & (rng.random(n) < 0.6), ~truth, truth)
    preds = pl.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "ts": ts,
            "prediction": np.where(score > 0.5, "1", "0"),
            "score": score,
            "tier": rng.choice(["free", "pro"], n),
            "x": rng.normal(50, 10, n),
        }
    )
    delay = rng.integers(1, 40 * 60, n)
    labels = pl.DataFrame(
        {
            "prediction_id": preds["prediction_id"],
            "label": np.where(truth, "1", "0"),
            "labeled_at": [t + timedelta(minutes=int(d)) for t, d in zip(ts, delay, strict=True)],
            "ts": ts,
        }
    )
    return preds, labels


def _deliveries(preds: pl.DataFrame, labels: pl.DataFrame) -> list[tuple[datetime, Any, Any]]:
    """Every 12 hours: the predictions made and the labels known since the last one.
    Day 1's labels are held back and delivered late, in the last delivery but one, with
    the times they were known (long before that delivery)."""
    out = []
    late = labels.filter(
        (pl.col("ts") >= START + timedelta(days=1)) & (pl.col("ts") < START + timedelta(days=2))
    )
    on_time = labels.join(late, on="prediction_id", how="anti")
    steps = [START + timedelta(hours=12 * k) for k in range(1, 2 * DAYS + 1)]
    last = START
    for k, at in enumerate(steps):
        p = preds.filter((pl.col("ts") >= last) & (pl.col("ts") < at))
        ls = [on_time.filter((pl.col("labeled_at") >= last) & (pl.col("labeled_at") < at))]
        if k == len(steps) - 2:
            ls.append(late.filter(pl.col("labeled_at") < at))
        out.append((at, p, pl.concat(ls).drop("ts")))
        last = at
    return out


def _ingest(tmp: Path, settings: Settings, at: datetime, preds: Any, labels: Any, k: int) -> None:
    store = Store(settings.store_path)
    if preds.height:
        preds.write_parquet(tmp / f"p{k}.parquet")
        ingest_file(store, settings, "predictions", "m", tmp / f"p{k}.parquet", actor="t", now=at)
    if labels.height:
        labels.write_parquet(tmp / f"l{k}.parquet")
        ingest_file(store, settings, "labels", "m", tmp / f"l{k}.parquet", actor="t", now=at)


def _setup(tmp: Path) -> Settings:
    tmp.mkdir()
    (tmp / "oncall.yaml").write_text(CONFIG)
    return load_config(tmp / "oncall.yaml")


def _stored(settings: Settings) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with Store(settings.store_path).read() as con:
        results = con.execute(
            "SELECT fingerprint, check_name, kind, feature, slice, window_start, window_end, "
            "known_at, round(value, 9), threshold, status, n, detail FROM check_results "
            "ORDER BY ALL"
        ).fetchall()
        alerts = con.execute(
            "SELECT fingerprint, check_name, kind, slice, severity, state, first_window_start, "
            "first_seen, last_seen, count, round(value, 9), round(worst_value, 9), detail "
            "FROM alerts ORDER BY ALL"
        ).fetchall()
    return results, alerts


def test_incremental_runs_store_what_judging_everything_again_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preds, labels = _world(3)
    deliveries = _deliveries(preds, labels)
    end = deliveries[-1][0]

    incremental_settings = _setup(tmp_path / "incremental")
    trimmed: list[set[str]] = []
    real_trim = incremental.trim_spans

    def spy(*args: Any) -> Any:
        out = real_trim(*args)
        trimmed.append(set(args[-1].trimmed))
        return out

    monkeypatch.setattr("tui.core.checks.evaluate.trim_spans", spy)
    for k, (at, p, ls) in enumerate(deliveries):
        _ingest(tmp_path / "incremental", incremental_settings, at, p, ls, k)
        run_checks(Store(incremental_settings.store_path), incremental_settings, at)
    monkeypatch.setattr("tui.core.checks.evaluate.trim_spans", real_trim)
    # The runs did cut the windows they re-judged (else this test proves nothing).
    assert any("slo" in t for t in trimmed)

    # The same deliveries, each run judging its whole horizon again.
    monkeypatch.setattr(incremental, "TRIMMED", ())
    full_settings = _setup(tmp_path / "full")
    for k, (at, p, ls) in enumerate(deliveries):
        _ingest(tmp_path / "full", full_settings, at, p, ls, k)
        run_checks(Store(full_settings.store_path), full_settings, at)

    # Everything delivered, then checked once at the end.
    once_settings = _setup(tmp_path / "once")
    for k, (at, p, ls) in enumerate(deliveries):
        _ingest(tmp_path / "once", once_settings, at, p, ls, k)
    run_checks_to_end(Store(once_settings.store_path), once_settings, end)

    got, got_alerts = _stored(incremental_settings)
    full, full_alerts = _stored(full_settings)
    once, _ = _stored(once_settings)
    assert got == full
    assert got_alerts == full_alerts
    # Day 1's SLO windows were judged again when their late labels came: as the run
    # at the end judges them, with every label.
    day1 = [r for r in got if r[2] == "slo" and r[5] == START + timedelta(days=1)]
    assert day1 and day1 == [r for r in once if r[2] == "slo" and r[5] == START + timedelta(days=1)]
    assert any(r[10] in ("warning", "critical") for r in day1)
    labelled = [r for r in got if r[2] in ("slo", "offline_gap")]
    assert labelled == [r for r in once if r[2] in ("slo", "offline_gap")]


def test_a_run_with_nothing_new_re_judges_no_past_window(tmp_path: Path) -> None:
    preds, labels = _world(5)
    settings = _setup(tmp_path / "s")
    store = Store(settings.store_path)
    deliveries = _deliveries(preds, labels)[:6]
    at = deliveries[-1][0]
    later = at + timedelta(hours=3)
    # Labels known only after `at` come early, with the last delivery.
    ahead = labels.filter((pl.col("labeled_at") >= at) & (pl.col("labeled_at") <= later))
    for k, (when, p, ls) in enumerate(deliveries):
        if when == at:
            ls = pl.concat([ls, ahead.drop("ts")])
        _ingest(tmp_path / "s", settings, when, p, ls, k)
        run_checks(store, settings, when)
    with store.read() as con:
        again = evaluate_model(con, settings, "m", at)
        # The clock moved on: labels known since re-open their predictions' days.
        moved = evaluate_model(con, settings, "m", later)
    assert again.spans["slo"].empty
    first_known = ahead["ts"].min()
    assert isinstance(first_known, datetime)
    assert moved.spans["slo"].start == first_known.replace(hour=0, minute=0, second=0)
    # Another config judges the whole horizon again.
    text = CONFIG.replace("min: 0.6, window", "min: 0.5, window")
    (tmp_path / "s" / "oncall.yaml").write_text(text)
    changed = load_config(tmp_path / "s" / "oncall.yaml")
    with store.read() as con:
        whole = evaluate_model(con, changed, "m", at)
    assert whole.spans["slo"].start == max(at - timedelta(days=4), START)


def test_the_evaluation_reads_and_only_storing_takes_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preds, labels = _world(7)
    settings = _setup(tmp_path / "s")
    store = Store(settings.store_path)
    modes: list[str] = []
    real = evaluate_model

    def spy(con: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            con.execute("CREATE TABLE probe (i INTEGER)")
            modes.append("write")
            con.execute("DROP TABLE probe")
        except duckdb.Error:
            modes.append("read")
        return real(con, *args, **kwargs)

    monkeypatch.setattr("tui.core.monitor.run.evaluate_model", spy)
    for k, (at, p, ls) in enumerate(_deliveries(preds, labels)[:4]):
        _ingest(tmp_path / "s", settings, at, p, ls, k)
        run_checks(store, settings, at)
    # Four runs, each evaluated reading only: the second one's baseline (day 1, now
    # complete) is computed while reading and cached by the write that stores results,
    # not by evaluating again inside the write.
    assert modes == ["read", "read", "read", "read"]
    with store.read() as con:
        stored = con.execute("SELECT count(*) FROM check_results").fetchall()[0][0]
        cached = con.execute("SELECT count(DISTINCT baseline_key) FROM baseline_bins").fetchall()
    assert stored > 0
    assert cached[0][0] == 1


def test_labels_that_came_before_their_predictions_re_open_the_predictions_days(
    tmp_path: Path,
) -> None:
    # Day 2's predictions are held back to the last delivery (day 1's late labels come
    # in the one before) while their labels come on time: stored with no prediction
    # time, they change no window until the predictions arrive, and then the run judges
    # day 2 as judging everything again would.
    preds, labels = _world(11)
    lo, hi = START + timedelta(days=2), START + timedelta(days=3)
    held = preds.filter((pl.col("ts") >= lo) & (pl.col("ts") < hi))
    deliveries = []
    plan = _deliveries(preds, labels)
    for k, (at, p, ls) in enumerate(plan):
        p = p.join(held, on="prediction_id", how="anti")
        if k == len(plan) - 1:
            p = pl.concat([p, held])
        deliveries.append((at, p, ls))
    stored = []
    for name, trimmed in (("incremental", incremental.TRIMMED), ("full", ())):
        settings = _setup(tmp_path / name)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(incremental, "TRIMMED", trimmed)
            for k, (at, p, ls) in enumerate(deliveries):
                _ingest(tmp_path / name, settings, at, p, ls, k)
                run_checks(Store(settings.store_path), settings, at)
        stored.append(_stored(settings))
    assert stored[0] == stored[1]
    day2 = [r for r in stored[0][0] if r[2] == "slo" and r[5] == lo and r[4] is None]
    assert day2 and all(r[11] >= 40 for r in day2)  # judged on its labels
