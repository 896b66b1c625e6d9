"""A small random lake for the lake tests: Hive-partitioned Parquet predictions and
labels with the awkward cases (NaN and NULL scores, unlabelled rows, labels before
their predictions, labels with no prediction, several versions and slice values, an
empty day, a NULL version), and the one Spark session every Spark test shares."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

START = datetime(2026, 11, 1)
DAYS = 5
EMPTY_DAY = 2  # 2026-11-03: a partition with a file of no rows
NOW = datetime(2026, 12, 1)


def _predictions(rng: np.random.Generator, day: int, n: int) -> dict[str, Any]:
    base = START + timedelta(days=day)
    ts = [base + timedelta(microseconds=int(s)) for s in rng.integers(0, 86400 * 10**6, n)]
    score = rng.random(n)
    kind = rng.random(n)
    scores: list[float | None] = [
        None if k < 0.05 else float("nan") if k < 0.08 else 1.0 if k < 0.09 else float(s)
        for s, k in zip(score, kind, strict=True)
    ]
    value = np.round(rng.normal(30, 5, n), 3)
    return {
        "prediction_id": [f"d{day}-{i}" for i in range(n)],
        "ts": ts,
        "prediction": [str(v) for v in value],
        "value": value.tolist(),
        "score": scores,
        "model_version": [
            None if r < 0.03 else "v1" if r < 0.6 else "v2" for r in rng.random(n).tolist()
        ],
        "region": [
            None if r < 0.05 else ["eu", "us", "apac"][int(r * 3) % 3] for r in rng.random(n)
        ],
        "device": rng.choice(["ios", "android", "web"], n).tolist(),
    }


def write_lake(
    folder: Path, task: str = "binary", seed: int = 5, rows_per_day: int = 300
) -> dict[str, Path]:
    """Write the lake under `folder`: predictions/date=YYYY-MM-DD/part-0.parquet and
    labels/date=YYYY-MM-DD/ by the day each label came (a binary model's 0/1, or a
    regression model's numbers as text). Returns the two paths."""
    rng = np.random.default_rng(seed)
    out = {"predictions": folder / "predictions", "labels": folder / "labels"}
    labels: list[dict[str, Any]] = []
    schema = pa.schema(
        [
            ("prediction_id", pa.string()),
            ("ts", pa.timestamp("us")),
            ("prediction", pa.string()),
            ("score", pa.float64()),
            ("model_version", pa.string()),
            ("region", pa.string()),
            ("device", pa.string()),
        ]
    )
    for day in range(DAYS):
        n = 0 if day == EMPTY_DAY else rows_per_day
        p = _predictions(rng, day, n)
        if task == "binary":
            p["prediction"] = ["1" if (s or 0) >= 0.5 else "0" for s in p["score"]]
        table = pa.table({k: p[k] for k in schema.names}, schema=schema)
        part = out["predictions"] / f"date={START + timedelta(days=day):%Y-%m-%d}"
        part.mkdir(parents=True)
        pq.write_table(table, part / "part-0.parquet")
        drawn = zip(p["prediction_id"], p["ts"], p["score"], p["value"], p["device"], strict=True)
        for pid, t, s, v, device in drawn:
            r = rng.random()
            if r < 0.25:
                continue  # never labelled
            hours = -rng.exponential(2) if r < 0.3 else rng.exponential(40)
            positive = rng.random() < (0.5 if s is None or s != s else s)
            if device == "web" and rng.random() < 0.7:
                positive = not positive  # a slice the model is bad at (slices worst)
            labels.append(
                {
                    "prediction_id": pid,
                    "label": ("1" if positive else "0")
                    if task == "binary"
                    else f"{v + rng.normal(0, 2):.3f}",
                    "labeled_at": t + timedelta(hours=float(hours)),
                }
            )
    # Labels whose predictions never came.
    for i in range(20):
        labels.append(
            {
                "prediction_id": f"orphan-{i}",
                "label": "1",
                "labeled_at": START + timedelta(hours=i * 7),
            }
        )
    by_day: dict[str, list[dict[str, Any]]] = {}
    for row in labels:
        by_day.setdefault(f"{row['labeled_at']:%Y-%m-%d}", []).append(row)
    for label_day, rows in sorted(by_day.items()):
        part = out["labels"] / f"date={label_day}"
        part.mkdir(parents=True)
        pq.write_table(
            pa.table(
                {
                    "prediction_id": [r["prediction_id"] for r in rows],
                    "label": [r["label"] for r in rows],
                    "labeled_at": pa.array([r["labeled_at"] for r in rows], pa.timestamp("us")),
                }
            ),
            part / "part-0.parquet",
        )
    return out


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """The one local Spark session of the test run (start-up takes up to a minute on a
    busy machine). Skipped without pyspark, except in CI, where the Spark tests must run."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but pyspark is not installed: uv sync --locked --group spark")
        pytest.skip("pyspark is not installed (uv sync --group spark)")
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("oncall tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # Tiny data on a busy machine: one shuffle partition, no whole-stage code
        # generation (compiling it costs more than running it), a quick-to-start JVM.
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.codegen.wholeStage", "false")
        # Tiny jobs: no adaptive re-planning between stages and one task per read (the
        # answers are the same; the planning and scheduling of each job cost less).
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield spark
