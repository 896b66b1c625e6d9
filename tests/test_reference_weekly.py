"""A peer-style dataset (built like NannyML's synthetic car-loan set, by our own
generator, not the peer's data): a labelled reference file, about 165 predictions a
day, weekly drift judged against the reference's own noise, an AUC SLO once labels are
in. Alerts come on exactly the features that were made to drift."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from tests.helpers import cli, write_config

START = datetime(2026, 3, 2)  # a Monday
WEEKS = 16
PER_DAY = 165
DRIFTED = {"car_value", "salary_range", "loan_length"}

CONFIG = """\
store: store.duckdb
models:
  car_loan:
    task: binary
    positive: "1"
    features:
      car_value: {type: numeric}
      salary_range: {type: categorical}
      debt_to_income_ratio: {type: numeric}
      loan_length: {type: numeric}
      repaid_loan_on_prev_car: {type: categorical}
      size_of_downpayment: {type: categorical}
      driver_tenure: {type: numeric}
    baseline: {file: reference.parquet}
    labels: {expected_delay: 4d}
    slos:
      - {metric: auc, min: 0.6, window: 7d, min_labeled: 500}
    checks:
      window: 1d
      drift: {window: 7d, numeric_method: ks, categorical_method: chi2,
              thresholds: reference, min_support: 500}
"""


def _loans(
    n: int, start: datetime, rng: np.random.Generator, prefix: str, drift_from: int | None
) -> pl.DataFrame:
    """``n`` loans, evenly over the days from ``start``; from row ``drift_from`` on, car
    value, salary range and loan length move (the repayment rule stays the same)."""
    seconds = np.sort(rng.integers(0, 86400 * n // PER_DAY, n))
    moved = np.zeros(n, dtype=bool) if drift_from is None else np.arange(n) >= drift_from
    salary = np.array(["0 - 20K", "20K - 40K", "40K - 60K", "60K+"])
    low = rng.choice(4, n, p=[0.25, 0.3, 0.3, 0.15])
    high = rng.choice(4, n, p=[0.1, 0.2, 0.35, 0.35])
    band = np.where(moved, high, low)
    car = rng.lognormal(np.where(moved, 10.4, 10.0), 0.4)
    length = np.round(rng.normal(np.where(moved, 16, 12), 4).clip(1, 40))
    dti = rng.beta(3, 4, n)
    tenure = rng.exponential(4, n)
    prev = rng.random(n) < 0.6
    down = rng.choice(["0%", "10%", "20%", "40%"], n)
    logit = 1.5 - 2.5 * dti + 0.4 * band - car / 40000 + 0.8 * prev + 0.1 * tenure
    truth = rng.random(n) < 1 / (1 + np.exp(-logit))
    score = np.round(1 / (1 + np.exp(-(logit + rng.normal(0, 0.6, n)))), 4)
    return pl.DataFrame(
        {
            "prediction_id": [f"{prefix}{i}" for i in range(n)],
            "ts": [start + timedelta(seconds=int(s)) for s in seconds],
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "car_value": np.round(car),
            "salary_range": salary[band],
            "debt_to_income_ratio": dti,
            "loan_length": length,
            "repaid_loan_on_prev_car": np.where(prev, "true", "false"),
            "size_of_downpayment": down,
            "driver_tenure": tenure,
            "label": np.where(truth, "1", "0"),
        }
    )


@pytest.mark.timeout(600)
def test_weekly_drift_against_a_reference_file_and_an_auc_slo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2018)
    config = write_config(tmp_path, CONFIG)
    per_week = 7 * PER_DAY
    _loans(12 * per_week, START - timedelta(weeks=13), rng, "r", None).write_parquet(
        tmp_path / "reference.parquet"
    )
    # The second half drifts; labels come three days after each loan.
    served = _loans(WEEKS * per_week, START, rng, "a", WEEKS // 2 * per_week)
    served.drop("label").write_parquet(tmp_path / "analysis.parquet")
    served.select(
        "prediction_id", "label", (pl.col("ts") + timedelta(days=3)).alias("labeled_at")
    ).write_csv(tmp_path / "labels.csv", datetime_format="%Y-%m-%dT%H:%M:%SZ")
    now = (START + timedelta(weeks=WEEKS, days=5)).isoformat()
    for kind, name in (("predictions", "analysis.parquet"), ("labels", "labels.csv")):
        done = cli(
            capsys,
            "--config",
            config,
            "--now",
            now,
            "ingest",
            kind,
            tmp_path / name,
            "-m",
            "car_loan",
        )
        assert done.code == 0, done.err
    done = cli(capsys, "--config", config, "--now", now, "check", "--json")
    assert done.code == 0, done.err
    body: dict[str, Any] = done.json()
    drift = [r for r in body["results"] if r["kind"] == "drift"]
    failing = {r["feature"] for r in drift if r["status"] in ("warning", "critical")}
    assert failing == DRIFTED
    # Week for week: each drifted feature fails in the drifted half's whole weeks and
    # no other; the trailing week that ends on a Sunday is the peer's weekly chunk.
    half = START + timedelta(weeks=WEEKS // 2)
    for feature in DRIFTED:
        weekly = {
            datetime.fromisoformat(r["window_start"]): r["status"]
            for r in drift
            if r["feature"] == feature and datetime.fromisoformat(r["window_start"]).weekday() == 6
        }
        assert len(weekly) == WEEKS
        for week_end, status in weekly.items():
            assert (status != "pass") == (week_end > half), (feature, week_end, status)
    slo = [r for r in body["results"] if r["kind"] == "slo"]
    assert slo and all(r["status"] in ("pass", "warning", "critical") for r in slo)
    assert {r["status"] for r in slo} == {"pass"}
    for r in slo:
        begin = datetime.fromisoformat(r["window_start"])
        week = served.filter((pl.col("ts") >= begin) & (pl.col("ts") < begin + timedelta(days=7)))
        expected = skm.roc_auc_score(week["label"] == "1", week["score"])
        assert r["value"] == pytest.approx(expected, abs=1e-9)
    firing = {(a["kind"], a.get("feature")) for a in body["firing"]}
    assert {f for k, f in firing if k == "drift"} == DRIFTED
