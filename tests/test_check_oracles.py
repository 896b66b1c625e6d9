"""The check path on random data against numpy, scipy and scikit-learn oracles."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from tests.helpers import cli
from tui.core.checks.evaluate import evaluate_model
from tui.core.config.settings import load_config
from tui.core.store.connection import Store

CONFIG = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    slices: [seg]
    features:
      x: {type: numeric, min: 0, max: 10, max_null: 0.05}
      gone: {type: numeric, max_null: 0.5}
      cat: {type: categorical, allowed: [a, b, c]}
    baseline: {start: 2026-11-01, end: 2026-11-01}
    labels: {expected_delay: 1d}
    slos:
      - {metric: f1, min: 0.5, window: 1d, min_labeled: 20}
      - {metric: precision, min: 0.5, window: 1d, min_labeled: 20, by: seg}
checks:
  window: 1d
  drift: {window: 1d, min_support: 50, bins: 5}
"""
START = datetime(2026, 11, 1)
NOW = datetime(2026, 11, 6)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(5)
    folder = tmp_path_factory.mktemp("oracle")
    (folder / "oncall.yaml").write_text(CONFIG)
    frames = []
    for day in range(5):
        if day == 3:
            continue  # an empty window
        n = 400
        ts = [START + timedelta(days=day, seconds=int(s)) for s in rng.integers(0, 86400, n)]
        x = rng.normal(5 + day * 0.7, 2, n)
        x[rng.random(n) < 0.1] = np.nan
        score = rng.random(n)
        frames.append(
            pl.DataFrame(
                {
                    "prediction_id": [f"d{day}-{i}" for i in range(n)],
                    "ts": ts,
                    "prediction": np.where(score >= 0.5, "1", "0"),
                    "score": score,
                    "seg": rng.choice(["s1", "s2"], n),
                    "x": pl.Series(x).fill_nan(None),
                    "gone": pl.Series([None] * n, dtype=pl.Float64),
                    "cat": rng.choice(["a", "b", "c", "z"], n, p=[0.4, 0.3, 0.28, 0.02]),
                }
            )
        )
    preds = pl.concat(frames)
    # Labels: day 2 has a single class; some rows never labelled, one label after "now".
    labels = preds.select("prediction_id", "ts", "score").with_columns(
        label=pl.when(pl.col("ts") < START + timedelta(days=2))
        .then(
            pl.Series((rng.random(preds.height) < preds["score"].to_numpy()).astype(int)).cast(
                pl.String
            )
        )
        .otherwise(pl.lit("0")),
        labeled_at=pl.col("ts") + timedelta(hours=6),
    )
    labels = labels.filter(pl.Series(rng.random(preds.height) < 0.8))
    labels = labels.with_columns(
        labeled_at=pl.when(pl.col("prediction_id") == labels["prediction_id"][0])
        .then(NOW + timedelta(days=1))
        .otherwise(pl.col("labeled_at"))
    )
    preds.write_parquet(folder / "p.parquet")
    labels.select("prediction_id", "label", "labeled_at").write_parquet(folder / "l.parquet")
    return folder, preds, labels


def _evaluate(folder: Path, capsys: pytest.CaptureFixture[str]) -> list:  # type: ignore[type-arg]
    config = folder / "oncall.yaml"
    for kind, name in (("predictions", "p.parquet"), ("labels", "l.parquet")):
        result = cli(capsys, "--config", config, "ingest", kind, folder / name, "--model", "m")
        assert result.code == 0, result.err
    settings = load_config(config)
    with Store(settings.store_path).write() as con:  # the baseline cache is written
        return evaluate_model(con, settings, "m", NOW).results


def test_check_values_match_the_oracles(
    world: tuple[Path, pl.DataFrame, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, preds, labels = world
    results = _evaluate(folder, capsys)
    by = {(r.check, r.window_start, tuple(sorted((r.slice or {}).items()))): r for r in results}
    known = labels.filter(pl.col("labeled_at") <= NOW)
    for day in range(5):
        w = START + timedelta(days=day)
        rows = preds.filter((pl.col("ts") >= w) & (pl.col("ts") < w + timedelta(days=1)))
        completeness = by[("completeness:x", w, ())]
        if rows.height == 0:
            assert completeness.status == "insufficient"
            assert completeness.value is None
            continue
        assert completeness.value == pytest.approx(rows["x"].null_count() / rows.height)
        assert by[("completeness:gone", w, ())].value == 1.0  # an all-null column
        bounds = by[("bounds:x", w, ())]
        xs = rows["x"].drop_nulls().to_numpy()
        assert bounds.value == pytest.approx(((xs < 0) | (xs > 10)).mean())
        allowed = by[("allowed_values:cat", w, ())]
        assert allowed.value == pytest.approx((rows["cat"] == "z").mean())
        # SLO metrics from the labels known by now.
        joined = rows.join(known, on="prediction_id")
        slo = by[("slo:f1", w, ())]
        y, p = joined["label"].to_numpy(), joined["prediction"].to_numpy()
        if joined.height < 20:
            assert slo.status == "insufficient"
        elif (y == "1").any() or (p == "1").any():
            assert slo.value == pytest.approx(skm.f1_score(y, p, pos_label="1"))
        for seg in ("s1", "s2"):
            part = joined.filter(pl.col("seg") == seg)
            r = by[("slo:precision:by=seg", w, (("seg", seg),))]
            if part.height >= 20 and (part["prediction"] == "1").any():
                expected = skm.precision_score(part["label"], part["prediction"], pos_label="1")
                assert r.value == pytest.approx(expected)


def test_psi_matches_an_independent_computation(
    world: tuple[Path, pl.DataFrame, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, preds, _ = world
    results = [r for r in _evaluate(folder, capsys) if r.check == "drift:x"]
    base = preds.filter(pl.col("ts") < START + timedelta(days=1))["x"].drop_nulls().to_numpy()
    # DuckDB's quantile_cont interpolates linearly, as numpy's default does.
    edges = np.unique(np.quantile(base, [0.2, 0.4, 0.6, 0.8]))

    def hist(values: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)

    expected_counts = hist(base).astype(float)
    for r in results:
        rows = preds.filter((pl.col("ts") >= r.window_start) & (pl.col("ts") < r.window_end))
        values = rows["x"].drop_nulls().to_numpy()
        if len(values) < 50:
            assert r.value is None
            continue
        actual = hist(values).astype(float)
        pe = np.maximum(expected_counts / expected_counts.sum(), 1e-4)
        pa = np.maximum(actual / actual.sum(), 1e-4)
        assert r.value == pytest.approx(float(np.sum((pa - pe) * np.log(pa / pe))))
    drifted = [
        r for r in results if r.value is not None and r.window_start >= START + timedelta(days=4)
    ]
    assert drifted and drifted[0].status in ("warning", "critical")
    assert not math.isnan(drifted[0].value or 0.0)
