"""Slices on the demo: the flipped slice ranks first, the estimate tracks the labels,
label delay and examples read right."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.conftest import DEMO_NOW
from tests.helpers import cli
from tui.sandbox.scenario import load_scenario

NOW = datetime.fromisoformat(DEMO_NOW)


def _run(capsys: pytest.CaptureFixture[str], demo_dir: Path, *args: str) -> Any:
    result = cli(capsys, "--config", demo_dir / "oncall.yaml", "--now", DEMO_NOW, *args)
    assert result.code == 0, result.err
    return result


def _incident(demo_dir: Path, kind: str) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(demo_dir / "oncall.duckdb"), read_only=True)
    try:
        cursor = con.execute("SELECT * FROM scenario_incidents WHERE type = $t", {"t": kind})
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchall()[0], strict=True))
    finally:
        con.close()


def test_the_flipped_slice_ranks_first(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    incident = _incident(demo_dir, "flipped_labels")
    spec_slice = next(
        i.slice for i in load_scenario("demo").incidents if i.type == "flipped_labels"
    )
    assert json.loads(incident["slice"]) == spec_slice
    rows = _run(
        capsys,
        demo_dir,
        "slices",
        "worst",
        "--model",
        incident["model"],
        "--since",
        incident["start_ts"].isoformat(),
        "--until",
        incident["end_ts"].isoformat(),
        "--json",
    ).json()
    assert rows, "no worst slice found"
    assert rows[0]["slice"] == spec_slice
    assert rows[0]["value"] < rows[0]["overall"]
    assert set(rows[0]) >= {"slice", "n", "n_labeled", "metric", "value", "overall", "lift", "ci"}


def test_estimate_tracks_realised_f1_where_scores_are_calibrated(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_scenario("demo")
    fraud_incidents = [i for i in spec.incidents if i.model == "fraud"]
    first_incident = min(i.start for i in fraud_incidents)
    start = NOW - timedelta(days=spec.days)
    report = _run(
        capsys,
        demo_dir,
        "slices",
        "estimate",
        "--model",
        "fraud",
        "--since",
        start.replace(hour=0).isoformat(),
        "--until",
        (start + first_incident).replace(hour=0).isoformat(),
        "--json",
    ).json()
    assert report["kind"] == "estimate"
    checked = [r for r in report["rows"] if r["n_labeled"] >= 1000]
    assert len(checked) >= 4
    for r in checked:
        assert abs(r["estimated"]["f1"] - r["realised"]["f1"]) <= 0.05, r
    assert report["calibration"]["trustworthy"] is True
    assert report["reliability"] and all("mean_score" in b for b in report["reliability"])


def test_label_delay_matches_an_independent_computation(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    report = _run(
        capsys,
        demo_dir,
        "labels",
        "delay",
        "--model",
        "eta",
        "--since",
        "2026-11-12",
        "--until",
        "2026-11-26",
        "--json",
    ).json()
    con = duckdb.connect(str(demo_dir / "oncall.duckdb"), read_only=True)
    frame = con.sql(
        "SELECT p.ts, l.labeled_at FROM predictions p LEFT JOIN labels l "
        "ON l.model = p.model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now "
        "WHERE p.model = 'eta' AND p.ts >= '2026-11-12' AND p.ts < '2026-11-26'",
        params={"now": NOW},
    ).pl()
    con.close()
    frame = frame.with_columns(
        day=pl.col("ts").dt.truncate("1d"), delay=(pl.col("labeled_at") - pl.col("ts"))
    )
    for row in report["days"]:
        day = datetime.fromisoformat(row["day"])
        part = frame.filter(pl.col("day") == day)
        assert row["n"] == part.height
        within = (part["delay"] <= timedelta(days=1)).sum()
        if row["within_1d"] is not None:
            assert row["within_1d"] == pytest.approx(within / part.height)
        assert row["labeled_now"] == pytest.approx(part["labeled_at"].is_not_null().mean())
        overdue = part.filter(
            pl.col("labeled_at").is_null() & (pl.col("ts") <= NOW - timedelta(days=1))
        )
        assert row["overdue"] == overdue.height
    spike = _incident(demo_dir, "label_delay_spike")
    day_of_spike = [
        r for r in report["days"] if r["day"].startswith(spike["start_ts"].strftime("%Y-%m-%d"))
    ]
    assert day_of_spike and day_of_spike[0]["p50_hours"] > 4 * report["days"][0]["p50_hours"]


def test_examples_page_by_key_without_gaps_or_repeats(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = (
        "examples",
        "--model",
        "fraud",
        "--where",
        "customer_tier=enterprise",
        "--wrong",
        "--since",
        "2026-11-19T00:00",
        "--until",
        "2026-11-19T12:00",
    )
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        extra = ("--after", after) if after else ()
        page = _run(capsys, demo_dir, *base, "--limit", "200", "--json", *extra).json()
        seen += [r["prediction_id"] for r in page["rows"]]
        assert all(r["customer_tier"] == "enterprise" for r in page["rows"])
        assert all(r["label"] is not None and r["correct"] is False for r in page["rows"])
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert pages >= 2
    assert len(seen) == len(set(seen))
    everything = _run(capsys, demo_dir, *base, "--limit", "10000", "--json").json()
    assert [r["prediction_id"] for r in everything["rows"]] == seen


def test_examples_out_writes_a_validation_delta(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "delta.parquet"
    _run(
        capsys,
        demo_dir,
        "examples",
        "--model",
        "fraud",
        "--where",
        "device=ios",
        "--wrong",
        "--since",
        "2026-11-25",
        "--until",
        "2026-11-25T03:00",
        "--out",
        str(out),
    )
    frame = pl.read_parquet(out)
    assert frame.height > 0
    assert {"prediction_id", "prediction", "score", "label", "amount", "device"} <= set(
        frame.columns
    )
    assert (frame["device"] == "ios").all()
    assert (frame["prediction"] != frame["label"]).all()
