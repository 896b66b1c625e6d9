"""A column that is both a slice and a feature: stored once, typed and monitored as the
feature, grouped by as a slice; a numeric feature used as a slice stays DOUBLE and its
values read as text ("3"), in raw reads and rollups alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from tests.helpers import cli, write_config
from tui.core.config.settings import load_config
from tui.core.ingest.rollups import refresh
from tui.core.slices.explore import slice_metrics
from tui.core.slices.request import Request
from tui.core.store.connection import Store
from tui.core.store.filters import parse_filters

START = datetime(2026, 11, 20)
NOW = "2026-11-27T00:00"
DEVICES = ["ios", "android", "web"]
# Day 5 brings a device value nobody allowed.
BAD_DAY = 5

CONFIG = """\
store: store.duckdb
models:
  fraud:
    task: binary
    positive: "1"
    slices: [region, device{extra}]
    features:
      device: {{type: categorical, allowed: [ios, android, web]}}
      region: {{type: categorical, allowed: [EU, US]}}
      band: {{type: numeric, min: 0, max: 5}}
      amount: {{type: numeric, min: 0}}
    labels: {{expected_delay: 1d}}
checks:
  window: 1d
  min_rows: 5
  drift: {{min_support: 50}}
trust_as: true
"""


def _config(with_band_slice: bool = True) -> str:
    return CONFIG.format(extra=", band" if with_band_slice else "")


def _frames(seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 7 * 24 * 20  # one every 3 minutes for a week
    ts = [START + timedelta(minutes=3 * i) for i in range(n)]
    device = rng.choice(DEVICES, n).astype(object)
    bad = np.array([(t - START).days == BAD_DAY for t in ts]) & (rng.random(n) < 0.3)
    device[bad] = "toaster"
    score = np.round(rng.random(n), 2)
    label = (rng.random(n) < score).astype(int).astype(str)
    preds = pl.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "ts": ts,
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "region": rng.choice(["EU", "US"], n),
            "device": device.astype(str),
            # Whole numbers as floats: the band a customer is in.
            "band": rng.integers(0, 6, n).astype(float),
            "amount": np.round(rng.random(n) * 100, 2),
        }
    )
    # Most labels arrive; some never do.
    keep = rng.random(n) < 0.9
    labels = pl.DataFrame({"prediction_id": preds["prediction_id"], "label": label}).filter(
        pl.Series(keep)
    )
    return preds, labels


@pytest.fixture
def world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, pl.DataFrame]:
    """A store with a week of predictions and labels of the slice-and-feature model;
    the joined frame is the oracle's input."""
    config = write_config(tmp_path, _config())
    preds, labels = _frames()
    preds.write_parquet(tmp_path / "p.parquet")
    # Labels as CSV: text, cast on the way in.
    labels.write_csv(tmp_path / "l.csv")
    for kind, path in (("predictions", "p.parquet"), ("labels", "l.csv")):
        result = cli(
            capsys, "--config", config, "--now", NOW, "ingest", kind, tmp_path / path, "-m", "fraud"
        )
        assert result.code == 0, result.err
    joined = preds.join(labels, on="prediction_id", how="left")
    return config, joined


def _columns(db: Path, table: str) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    finally:
        con.close()
    return [(str(a), str(b)) for a, b in rows]


def test_a_slice_that_is_a_feature_is_stored_once_with_the_feature_type(
    world: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = world
    # Reading slices rebuilds the rollups.
    assert (
        cli(capsys, "--config", config, "--now", NOW, "slices", "metrics", "-m", "fraud").code == 0
    )
    db = config.parent / "store.duckdb"
    stored = _columns(db, "predictions__fraud")
    names = [c for c, _ in stored]
    for column in ("region", "device", "band", "amount"):
        assert names.count(column) == 1
    types = dict(stored)
    assert types["band"] == "DOUBLE"
    assert types["device"] == "VARCHAR"
    rollup = dict(_columns(db, "rollups__fraud"))
    assert rollup["band"] == "DOUBLE"
    assert rollup["device"] == "VARCHAR"
    assert "amount" not in rollup  # a feature only, not a slice


def test_check_alerts_on_the_feature_and_per_slice(
    world: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = world
    run = cli(capsys, "--config", config, "--now", NOW, "check", "--json")
    assert run.code == 0, run.err
    data = run.json()
    firing = data["firing"]
    allowed = [a for a in firing if a["kind"] == "allowed_values" and a["feature"] == "device"]
    # On the feature over all traffic, and on the slice the bad value makes.
    assert any(a["slice"] is None for a in allowed)
    assert any(a["slice"] == {"device": "toaster"} for a in allowed)
    # Numeric slice values are text, written as the user would type them.
    band_values = {
        r["slice"]["band"] for r in data["results"] if r["slice"] and "band" in r["slice"]
    }
    assert band_values == {"0", "1", "2", "3", "4", "5"}
    # Nothing judged the feature twice: one completeness result per window and slice.
    keys = [
        (r["window_start"], str(r["slice"]))
        for r in data["results"]
        if r["check"] == "completeness:device"
    ]
    assert len(keys) == len(set(keys))


def _oracle(frame: pl.DataFrame, column: str) -> dict[str, tuple[int, int, float | None]]:
    """Per value of `column` (as text): rows, labelled rows and accuracy by sklearn."""
    out: dict[str, tuple[int, int, float | None]] = {}
    for (value,), part in frame.group_by([column]):
        text = str(int(value)) if isinstance(value, float) else str(value)
        labelled = part.filter(pl.col("label").is_not_null())
        acc = (
            float(skm.accuracy_score(labelled["label"], labelled["prediction"]))
            if labelled.height
            else None
        )
        out[text] = (part.height, labelled.height, acc)
    return out


@pytest.mark.parametrize("column", ["device", "band", "region"])
def test_slices_group_by_it_and_match_sklearn(
    world: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str], column: str
) -> None:
    config, joined = world
    result = cli(
        capsys,
        "--config",
        config,
        "--now",
        NOW,
        "slices",
        "metrics",
        "-m",
        "fraud",
        "--by",
        column,
        "--since",
        "2026-11-20",
        "--until",
        "2026-11-27",
        "--json",
    )
    assert result.code == 0, result.err
    rows = result.json()
    got = {r["slice"][column]: r for r in rows if r["slice"]}
    expected = _oracle(joined, column)
    assert set(got) == set(expected)
    for value, (n, n_labeled, acc) in expected.items():
        assert got[value]["n"] == n
        assert got[value]["n_labeled"] == n_labeled
        assert got[value]["accuracy"] == pytest.approx(acc)


def _request(config: Path, filters: list[str] | None = None) -> tuple[Store, Request]:
    settings = load_config(config)
    model = settings.model("fraud")
    now = datetime.fromisoformat(NOW)
    req = Request(
        "fraud",
        model,
        START,
        START + timedelta(days=7),
        now,
        filters=parse_filters("fraud", model, filters or []),
    )
    store = Store(settings.store_path)
    refresh(store, settings, "fraud")
    return store, req


def _canon(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        return v

    return [clean(r) for r in rows]


@pytest.mark.parametrize("filters", [[], ["band=3"], ["device=toaster"], ["band=3.0", "region=EU"]])
def test_rollups_and_raw_rows_agree_grouped_and_filtered_by_it(
    world: tuple[Path, pl.DataFrame], filters: list[str]
) -> None:
    config, joined = world
    store, req = _request(config, filters)
    with store.read() as con:
        rolled, source = slice_metrics(con, req, ["band", "device"])
        raw_rows, raw_source = slice_metrics(con, req, ["band", "device"], prefer_rollups=False)
    assert (source, raw_source) == ("rollups", "raw")
    assert _canon([r.to_json() for r in rolled]) == _canon([r.to_json() for r in raw_rows])
    expected = joined
    for f in filters:
        col, _, value = f.partition("=")
        target: object = float(value) if col == "band" else value
        expected = expected.filter(pl.col(col) == target)
    overall = next(r for r in rolled if r.slice is None)
    assert overall.metrics.n == expected.height


def test_examples_and_label_delay_filter_and_group_by_a_numeric_slice(
    world: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    config, joined = world
    base = ("--config", config, "--now", NOW)
    window = ("--since", "2026-11-20", "--until", "2026-11-27")
    page = cli(
        capsys, *base, "examples", "-m", "fraud", "--where", "band=3", *window, "--limit", "500"
    )
    assert page.code == 0, page.err
    page = cli(
        capsys,
        *base,
        "examples",
        "-m",
        "fraud",
        "--where",
        "band=3",
        *window,
        "--limit",
        "500",
        "--json",
    )
    rows = page.json()["rows"]
    assert rows and all(r["band"] == 3.0 for r in rows)
    # Each column once in a row, though `band` is a slice and a feature.
    assert list(rows[0]).count("band") == 1
    assert len(rows) == min(500, joined.filter(pl.col("band") == 3.0).height)
    delay = cli(capsys, *base, "labels", "delay", "-m", "fraud", "--by", "band", *window, "--json")
    assert delay.code == 0, delay.err
    totals = {t["band"]: t["n"] for t in delay.json()["summary"]}
    counts = joined.group_by("band").len()
    assert totals == {str(int(b)): n for b, n in counts.iter_rows()}


def test_a_feature_declared_a_slice_after_ingest_gets_its_rollups_rebuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, _config(with_band_slice=False))
    preds, labels = _frames(seed=11)
    preds.write_parquet(tmp_path / "p.parquet")
    labels.write_parquet(tmp_path / "l.parquet")
    for kind, path in (("predictions", "p.parquet"), ("labels", "l.parquet")):
        assert (
            cli(
                capsys,
                "--config",
                config,
                "--now",
                NOW,
                "ingest",
                kind,
                tmp_path / path,
                "-m",
                "fraud",
            ).code
            == 0
        )
    assert (
        cli(capsys, "--config", config, "--now", NOW, "slices", "metrics", "-m", "fraud").code == 0
    )
    assert "band" not in dict(_columns(tmp_path / "store.duckdb", "rollups__fraud"))
    write_config(tmp_path, _config(with_band_slice=True))
    store, req = _request(config)
    assert dict(_columns(tmp_path / "store.duckdb", "rollups__fraud"))["band"] == "DOUBLE"
    with store.read() as con:
        rolled, source = slice_metrics(con, req, ["band"])
        raw_rows, _ = slice_metrics(con, req, ["band"], prefer_rollups=False)
    assert source == "rollups"
    assert _canon([r.to_json() for r in rolled]) == _canon([r.to_json() for r in raw_rows])
    joined = preds.join(labels, on="prediction_id", how="left")
    got = {r.slice["band"]: r.metrics.n for r in rolled if r.slice}
    assert got == {v: n for v, (n, _, _) in _oracle(joined, "band").items()}
