"""`oncall sync`: a lake model's aggregates written into the store, after which
`slices metrics`, `slices worst` and `labels delay` show what they show for the same
data ingested locally; only changed days are recomputed; failures write nothing."""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.helpers import cli, count
from tests.lake_data import spark_session, write_lake
from tui.core.config.settings import load_config
from tui.core.errors import ConfigError

__all__ = ["spark_session"]

MODEL = """
  fraud:
    task: binary
    positive: "1"
    slices: [region, device]
    labels: {expected_delay: 2d}
"""
NOW = "2026-11-20T00:00:00Z"
WINDOW = ("--since", "2026-11-01", "--until", "2026-11-06")


def _config(folder: Path, store: str, source: str | None) -> Path:
    text = f"store: {store}.duckdb\nmodels:{MODEL}"
    if source is not None:
        text += f"    source: {source}\n"
    path = folder / f"{store}.yaml"
    path.write_text(text)
    return path


def _scored(lake: dict[str, Path], out: Path) -> dict[str, Path]:
    # Local ingest refuses a binary row without a finite score: both sides get the
    # rows it takes (the lake's NaN and NULL scores are compared in test_lake_aggregates).
    for path in lake["predictions"].rglob("*.parquet"):
        table = pq.read_table(path)
        keep = pc.invert(pc.fill_null(pc.is_nan(table.column("score")), True))
        target = out / "predictions" / path.parent.name / path.name
        target.parent.mkdir(parents=True)
        pq.write_table(table.filter(keep), target)
    shutil.copytree(lake["labels"], out / "labels")
    return {"predictions": out / "predictions", "labels": out / "labels"}


def _make_world(root: Path) -> dict[str, Any]:
    lake = _scored(write_lake(root / "raw"), root / "lake")
    local = _config(root, "local", None)
    for kind in ("predictions", "labels"):
        one = root / f"{kind}.parquet"
        pq.write_table(pq.read_table(lake[kind], partitioning=None), one)
        lake[f"{kind}_file"] = one
    return {"root": root, "lake": lake, "local": local}


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    return _make_world(tmp_path)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _views(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, Any]:
    out = {}
    for name, args in {
        "metrics": ("slices", "metrics", "-m", "fraud", "--by", "region", *WINDOW),
        "metrics_all": ("slices", "metrics", "-m", "fraud", "--by", "region,device", *WINDOW),
        "worst": ("slices", "worst", "-m", "fraud", "--metric", "recall", *WINDOW),
        "delay": ("labels", "delay", "-m", "fraud", *WINDOW),
        "delay_by": ("labels", "delay", "-m", "fraud", "--by", "device", *WINDOW),
    }.items():
        result = cli(capsys, "--config", config, "--now", NOW, *args, "--json")
        assert result.code == 0, (name, result.err)
        out[name] = result.json()
    return out


def _ingest_local(capsys: pytest.CaptureFixture[str], world: dict[str, Any]) -> dict[str, Any]:
    for kind in ("predictions", "labels"):
        done = cli(
            capsys,
            "--config",
            world["local"],
            "--now",
            NOW,
            "ingest",
            kind,
            world["lake"][f"{kind}_file"],
            "-m",
            "fraud",
        )
        assert done.code == 0, done.err
    return _views(capsys, world["local"])


# The views of the lake's data ingested locally: the same for every test (the lake is
# written from a fixed seed), so ingested and read once per module.
_EXPECTED: dict[str, Any] = {}


@pytest.fixture
def expected(
    capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    if not _EXPECTED:
        _EXPECTED.update(_ingest_local(capsys, _make_world(tmp_path_factory.mktemp("local"))))
    return _EXPECTED


def _source(engine: str) -> str:
    return (
        f"{{engine: {engine}, predictions: lake/predictions, labels: lake/labels, "
        'master: "local[2]"}'
    )


@pytest.mark.slow
def test_a_spark_lake_model_shows_what_the_same_data_ingested_shows(
    capsys: pytest.CaptureFixture[str],
    world: dict[str, Any],
    expected: dict[str, Any],
    spark_session: Any,
) -> None:
    lake = _config(world["root"], "lake", _source("spark"))
    synced = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json")
    assert synced.code == 0, synced.err
    (model,) = synced.json()["models"]
    assert model["model"] == "fraud" and model["engine"] == "spark"
    assert model["days"] == 4  # five partitions, one of them empty
    assert model["rows"] > 0 and model["delay_rows"] > 0 and model["full"]
    got = _views(capsys, lake)
    for name in expected:
        assert expected[name], name
        assert _close(got[name], expected[name]), name
    # Nothing changed: nothing recomputed (and Spark not asked).
    again = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json").json()["models"][0]
    assert again["days"] == 0 and not again["full"]


def test_a_duckdb_lake_model_syncs_only_changed_days_and_matches_local(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any], expected: dict[str, Any]
) -> None:
    lake = _config(world["root"], "lake", _source("duckdb"))
    first = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json")
    assert first.code == 0, first.err
    assert first.json()["models"][0]["days"] == 4
    assert _close(_views(capsys, lake), expected)
    # One partition rewritten (a late file): only its day is recomputed, same answers.
    part = next(world["lake"]["predictions"].glob("date=2026-11-02/*.parquet"))
    table = pq.read_table(part)
    pq.write_table(table, part)
    os.utime(part, ns=(part.stat().st_atime_ns, part.stat().st_mtime_ns + 10**9))
    second = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json").json()["models"][0]
    assert (second["days"], second["full"]) == (1, False)
    assert _close(_views(capsys, lake), expected)
    # A late row filed under the next partition: the days its rows span are recomputed
    # (read from the file's statistics), not only the day its folder names.
    day2 = "SELECT sum(n) FROM rollups__fraud WHERE day = TIMESTAMP '2026-11-02'"
    was = count(world["root"] / "lake.duckdb", day2)
    late = table.slice(0, 1).set_column(
        1, "ts", pa.array([datetime(2026, 11, 2, 23, 59)], pa.timestamp("us"))
    )
    late = late.set_column(0, "prediction_id", pa.array(["late-1"]))
    pq.write_table(late, world["lake"]["predictions"] / "date=2026-11-04" / "late.parquet")
    third = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json").json()["models"][0]
    assert (third["days"], third["full"]) == (1, False), third
    assert count(world["root"] / "lake.duckdb", day2) == was + 1
    # A labels file changed: every day again (a label may belong to any earlier day).
    label = next(world["lake"]["labels"].rglob("*.parquet"))
    os.utime(label, ns=(label.stat().st_atime_ns, label.stat().st_mtime_ns + 10**9))
    fourth = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json").json()["models"][0]
    assert fourth["full"] and fourth["reason"] == "labels changed"


def test_a_failed_sync_writes_nothing_and_says_why(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    lake = _config(world["root"], "lake", _source("duckdb"))
    assert cli(capsys, "--config", lake, "--now", NOW, "sync").code == 0
    before = _views(capsys, lake)
    bad = world["lake"]["predictions"] / "date=2026-11-07" / "part-0.parquet"
    bad.parent.mkdir()
    bad.write_bytes(b"PAR1 this is not parquet")
    failed = cli(capsys, "--config", lake, "--now", NOW, "sync")
    assert failed.code == 2
    assert f"models.fraud.source.predictions: {bad} is not a readable Parquet" in failed.err
    _no_engine_text(failed.err + failed.out)
    assert _close(_views(capsys, lake), before)
    shutil.rmtree(world["lake"]["predictions"])
    missing = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json")
    assert missing.code == 2 and "models.fraud.source.predictions: no such" in missing.err


# What engines and drivers say in their own errors: none of it may reach a user.
ENGINE_TEXT = (
    "Exception",
    "Error:",
    "Py4J",
    "py4j",
    "java.",
    "Binder",
    "Conversion",
    "Invalid Input",
    "ArrowInvalid",
    "pyarrow",
    "Parquet magic",
    "[",  # Spark's error classes: [UNRESOLVED_COLUMN...], [CAST_INVALID_INPUT...]
    "Traceback",
)


def _no_engine_text(text: str) -> None:
    assert text.strip(), "no message at all"
    for word in ENGINE_TEXT:
        assert word not in text, (word, text)


def _broken_lake(world: dict[str, Any], change: Callable[[pa.Table], pa.Table]) -> None:
    # Every predictions file rewritten by `change` (the footers stay readable).
    for path in world["lake"]["predictions"].rglob("*.parquet"):
        pq.write_table(change(pq.read_table(path)), path)


def test_a_lake_that_breaks_the_contract_is_said_in_our_words(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    lake = _config(world["root"], "lake", _source("duckdb"))
    where = world["lake"]["predictions"]
    # A column missing: named, with what was found.
    _broken_lake(world, lambda t: t.drop_columns(["prediction"]))
    result = cli(capsys, "--config", lake, "--now", NOW, "sync")
    assert result.code == 2 and "lack the column(s) prediction" in result.err, result.err
    _no_engine_text(result.err + result.out)
    # A column of another type (ts as text that is no time): the engine's job fails;
    # which model, what and where are said, and what was expected.
    _broken_lake(
        world,
        lambda t: t.append_column("prediction", pa.array(["1"] * t.num_rows)).set_column(
            1, "ts", pa.array(["not a time"] * t.num_rows, pa.string())
        ),
    )
    result = cli(capsys, "--config", lake, "--now", NOW, "sync", "--json")
    assert result.code == 2 and result.out == ""
    assert (
        "models.fraud.source: could not compute the daily rollups on duckdb from the "
        f"predictions at {where}" in result.err
    ), result.err
    assert "ts a timestamp" in result.err and "Nothing was written" in result.err
    _no_engine_text(result.err)


def test_lake_models_are_refused_by_what_cannot_serve_them_yet(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    lake = _config(world["root"], "lake", _source("duckdb"))
    assert cli(capsys, "--config", lake, "--now", NOW, "sync").code == 0
    for args in (
        ("ingest", "predictions", world["lake"]["predictions_file"], "-m", "fraud"),
        ("check", "-m", "fraud"),
        ("check",),
        ("examples", "-m", "fraud", *WINDOW),
        ("slices", "estimate", "-m", "fraud", *WINDOW),
    ):
        result = cli(capsys, "--config", lake, "--now", NOW, *args)
        assert result.code == 2, (args, result.err)
        assert "lake model" in result.err and "Traceback" not in result.err, args
    # A window that is not whole days is widened to them, and said so.
    part = cli(
        capsys,
        "--config",
        lake,
        "--now",
        NOW,
        "slices",
        "metrics",
        "-m",
        "fraud",
        "--since",
        "2026-11-01T06:00",
        "--until",
        "2026-11-05T12:00",
        "--json",
    )
    assert part.code == 0 and "whole days" in part.err
    whole = cli(
        capsys,
        "--config",
        lake,
        "--now",
        NOW,
        "slices",
        "metrics",
        "-m",
        "fraud",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-06",
        "--json",
    )
    assert part.json() == whole.json()
    # sync of a model without a source
    local = cli(capsys, "--config", world["local"], "sync", "-m", "fraud")
    assert local.code == 2 and "not synced" in local.err


def test_the_source_key_is_checked_and_its_paths_resolve_against_the_config(
    tmp_path: Path,
) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    path = _config(sub, "lake", _source("spark"))
    settings = load_config(path)
    source = settings.model("fraud").source
    assert source is not None and source.master == "local[2]"
    from tui.core.config.lake import resolve_location

    assert resolve_location(source.predictions, settings.path) == str(sub / "lake/predictions")
    assert resolve_location("lake.preds", settings.path) == "lake.preds"
    for bad, said in (
        ("{engine: spark, predictions: p/, labels: l/, bogus: 1}", "models.fraud.source.bogus"),
        ("{engine: flink, predictions: p/, labels: l/}", "models.fraud.source.engine"),
        ("{engine: spark, predictions: p/}", "models.fraud.source.labels"),
        (
            "{engine: spark, predictions: p/, labels: l/, master: yarn}",
            "models.fraud.source.master",
        ),
        ("{engine: duckdb, predictions: db.preds, labels: l/}", "models.fraud.source"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_config(_config(tmp_path, "bad", bad))
        assert said in str(caught.value), (bad, str(caught.value))


def test_the_readme_lake_example_loads(tmp_path: Path) -> None:
    import re

    from tests.helpers import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "engine: spark" in b)
    path = tmp_path / "oncall.yaml"
    path.write_text(block)
    source = load_config(path).model("fraud").source
    assert source is not None and (source.engine, source.master) == ("spark", "local[4]")


def test_no_java_or_no_pyspark_is_said_plainly(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from tui.core.lake import spark

    lake = _config(world["root"], "lake", _source("spark"))
    # No pyspark at all (a machine without the spark group).
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = cli(capsys, "--config", lake, "sync")
    assert result.code == 2 and "uv sync --group spark" in result.err, result.err
    assert "Traceback" not in result.err
    monkeypatch.delitem(sys.modules, "pyspark.sql")
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    # pyspark but no Java (and no session already running in this process).
    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.setattr(spark, "java_found", lambda: False)
    result = cli(capsys, "--config", lake, "sync", "--json")
    assert result.code == 2 and "Java" in result.err and "openjdk" in result.err, result.err
    assert result.out == ""


def test_the_check_runner_leaves_lake_models_out_for_every_caller(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    # A lake model's predictions in the store are no evidence (empty by design, or the
    # rows of its days before it moved to the lake): checked against them, volume,
    # freshness and never-judged would fire falsely for every day since.
    from tui.core.config.times import Clock
    from tui.core.monitor.run import run_checks, run_checks_to_end
    from tui.core.monitor.watch import Step, Watch
    from tui.core.notify.deliver import RealClock
    from tui.core.store.connection import Store

    _ingest_local(capsys, world)  # the model was local until 2026-11-05
    lake = _config(world["root"], "local", _source("duckdb"))
    with lake.open("a") as out:
        out.write("checks:\n  window: 1d\n  freshness: {max_lag: 1h}\n")
    assert cli(capsys, "--config", lake, "--now", NOW, "sync").code == 0
    settings = load_config(lake)
    db = world["root"] / "local.duckdb"
    store = Store(db)
    now = datetime(2026, 11, 20)
    run = run_checks(store, settings, now)  # every model, as watch, demo and drills ask
    assert run.lake_skipped == ["fraud"] and run.results == [] and run.complete
    assert run_checks_to_end(store, settings, now).lake_skipped == ["fraud"]
    steps: list[Step] = []
    watch = Watch(
        store,
        settings,
        None,
        every=timedelta(minutes=5),
        settle=timedelta(seconds=1),
        data_clock=Clock.at(now),
        clock=RealClock(),
        actor="test",
        log=steps.append,
    )
    watch.check()
    assert steps[-1].detail["opened"] == [] and steps[-1].detail["lake_skipped"] == ["fraud"]
    assert count(db, "SELECT count(*) FROM alerts") == 0
    assert count(db, "SELECT count(*) FROM check_results") == 0
    # `oncall check` still says which lake models it leaves out.
    told = cli(capsys, "--config", lake, "--now", NOW, "check", "--json")
    assert told.code == 2 and "lake model" in told.err


@pytest.mark.slow
def test_spark_failures_are_said_in_our_words(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any], spark_session: Any
) -> None:
    # No such table: Spark's AnalysisException stays behind; the table is named.
    table = "{engine: spark, predictions: nosuch.preds, labels: lake/labels}"
    result = cli(capsys, "--config", _config(world["root"], "lake", table), "sync")
    assert result.code == 2, result.err
    assert (
        "models.fraud.source.predictions: could not read the predictions at nosuch.preds as "
        "Parquet with the columns prediction_id, ts, prediction" in result.err
    ), result.err
    _no_engine_text(result.err + result.out)
    # A job that fails (ts as text that is no time): which aggregate, over what.
    _broken_lake(
        world,
        lambda t: t.set_column(1, "ts", pa.array(["not a time"] * t.num_rows, pa.string())),
    )
    lake = _config(world["root"], "lake", _source("spark"))
    result = cli(capsys, "--config", lake, "sync", "--json")
    assert result.code == 2 and result.out == "", result.err
    assert (
        "models.fraud.source: could not compute the daily rollups on spark from the predictions at"
        in result.err
    ), result.err
    _no_engine_text(result.err)
