"""Baselines as teams keep them: a reference file, a window of dates or timestamps, a
model version, or the trailing days before each evaluated one.

Each kind drives the drift check (a reference that differs from production alerts, one
that matches does not); a reference file's bins are checked against numpy quantiles and
its labelled metrics against scikit-learn; the cache follows the file's content; a bad
reference file is an error naming it, with nothing written.
"""

from __future__ import annotations

import errno
import math
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from tests.helpers import cli, write_config
from tui.core.alerts.reading import list_alerts
from tui.core.checks.baseline import (
    ALERTED_KINDS,
    baseline_source,
    baseline_window,
    load_baseline,
    offline_targets,
)
from tui.core.checks.evaluate import baseline_parts
from tui.core.checks.kinds import REGISTRY
from tui.core.checks.reference import reference_outcomes
from tui.core.checks.spans import Span
from tui.core.config.settings import Settings, load_config
from tui.core.errors import ConfigError
from tui.core.ingest import load as ingest_load
from tui.core.store.connection import Store

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
START = datetime(2026, 11, 1)
RATE = 60  # rows an hour

CONFIG = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    slices: [seg]
    features:
      x: {type: numeric}
      c: {type: categorical}
BASELINE
    labels: {expected_delay: 1d}
checks:
  window: 1h
  drift: {window: 6h, bins: 10, min_support: 200}
alerting: {resolve_after: 3}
"""


def _config(baseline: str) -> str:
    return CONFIG.replace("BASELINE", f"    baseline: {baseline}" if baseline else "")


def _frame(
    hours: int,
    rng: np.random.Generator,
    start: datetime = START,
    shift: float = 0.0,
    shifted_from: datetime | None = None,
    version: str = "v1",
    prefix: str = "p",
    labels: bool = False,
) -> pl.DataFrame:
    """Hourly rows from `start`: x ~ N(0, 1), plus `shift` from `shifted_from` on."""
    parts = []
    for h in range(hours):
        t0 = start + h * HOUR
        ts = [t0 + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 3600, RATE))]
        moved = shifted_from is not None and t0 >= shifted_from
        x = rng.normal(shift if (moved or shifted_from is None) else 0.0, 1.0, RATE)
        score = rng.random(RATE)
        cols: dict[str, Any] = {
            "prediction_id": [f"{prefix}{h}-{i}" for i in range(RATE)],
            "ts": ts,
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "model_version": [version] * RATE,
            "seg": rng.choice(["s1", "s2"], RATE),
            "x": x,
            "c": rng.choice(["a", "b"], RATE),
        }
        if labels:
            cols["label"] = np.where(rng.random(RATE) < score, "1", "0")
        parts.append(pl.DataFrame(cols))
    return pl.concat(parts)


def _world(
    folder: Path, capsys: pytest.CaptureFixture[str], baseline: str, frame: pl.DataFrame
) -> Settings:
    path = write_config(folder, _config(baseline))
    data = folder / "predictions.parquet"
    frame.write_parquet(data)
    done = cli(capsys, "--config", path, "ingest", "predictions", data, "--model", "m")
    assert done.code == 0, done.err
    return load_config(path)


def _check(capsys: pytest.CaptureFixture[str], settings: Settings, now: datetime) -> Any:
    done = cli(capsys, "--config", settings.path, "check", "--now", now.isoformat(), "--json")
    assert done.code == 0, done.err
    return done.json()


def _drift_failing(result: Any, after: datetime | None = None) -> list[Any]:
    return [
        r
        for r in result["results"]
        if r["kind"] == "drift"
        and r["feature"] == "x"
        and r["status"] in ("warning", "critical")
        and (after is None or datetime.fromisoformat(r["window_start"]) >= after)
    ]


def _count(settings: Settings, sql: str) -> int:
    con = duckdb.connect(str(settings.store_path), read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


# --- the config -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        ("{file: ref.parquet, last: 7d}", "exactly one kind of baseline"),
        ("{start: 2026-11-01, end: 2026-11-02, model_version: v1}", "exactly one kind"),
        ("{}", "got none"),
        ("{start: 2026-11-01}", "give both start and end"),
        ("{start: '2026-11-02T06:00', end: '2026-11-02T06:00'}", "is not before end"),
        ("{start: 2026-11-01, end: 2026-11-0x}", "expected a timestamp"),
        ("{last: 0d}", "positive"),
        ("{file: ''}", "at least 1 character"),
        ("{window: 7d}", "unknown key"),
    ],
)
def test_a_baseline_section_gives_exactly_one_kind(
    tmp_path: Path, baseline: str, expected: str
) -> None:
    path = write_config(tmp_path, _config(baseline))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}:" in message and "models.m.baseline" in message, message
    assert expected in message, message


def test_date_ends_take_the_whole_day_and_timestamp_ends_are_exclusive(tmp_path: Path) -> None:
    dates = load_config(write_config(tmp_path, _config("{start: 2026-11-01, end: 2026-11-02}")))
    assert baseline_window(dates.model("m"), START) == (START, START + 2 * DAY)
    stamps = load_config(
        write_config(tmp_path, _config("{start: '2026-11-01T06:00', end: '2026-11-02T06:30Z'}"))
    )
    assert baseline_window(stamps.model("m"), START) == (
        START + 6 * HOUR,
        START + DAY + 6 * HOUR + timedelta(minutes=30),
    )


@pytest.mark.parametrize(
    ("baseline", "rows"),
    [
        # One row a minute: a date end is inclusive of that whole day...
        ("{start: 2026-11-01, end: 2026-11-01}", 24 * 60),
        # ...a timestamp end is not: the row at exactly 12:00 is left out.
        ("{start: '2026-11-01T06:00', end: '2026-11-01T12:00'}", 6 * 60),
        ("{start: '2026-11-01T06:00:30', end: 2026-11-01}", 18 * 60 - 1),
    ],
)
def test_window_edges_decide_which_rows_the_baseline_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], baseline: str, rows: int
) -> None:
    n = 3 * 24 * 60
    frame = pl.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "ts": [START + timedelta(minutes=i) for i in range(n)],
            "prediction": ["1"] * n,
            "score": [0.5] * n,
            "seg": ["s1"] * n,
            "x": [float(i) for i in range(n)],
            "c": ["a"] * n,
        }
    )
    settings = _world(tmp_path, capsys, baseline, frame)
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + 4 * DAY)
    assert found.histograms["x"].total == rows
    assert found.histograms["c"].total == rows


# --- a reference file -------------------------------------------------------------------


def _edges_oracle(values: np.ndarray, bins: int) -> list[float]:
    # DuckDB's quantile_cont interpolates linearly, as numpy's default method does.
    return sorted({float(q) for q in np.quantile(values, [k / bins for k in range(1, bins)])})


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_a_reference_file_gives_the_bins_numpy_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    rng = np.random.default_rng(5)
    ref = _frame(10, rng, prefix="r")
    # Ties and missing values: rounded x, some nulls and some NaN, a missing value too
    # (in Parquet too, whose statistics leave NaN out).
    row = pl.int_range(pl.len())
    nan = float("nan")
    ref = ref.with_columns(
        pl.when(row % 17 == 0)
        .then(None)
        .when(row % 19 == 0)
        .then(nan)
        .otherwise(pl.col("x").round(1))
        .alias("x")
    )
    path = tmp_path / f"ref{suffix}"
    if suffix == ".parquet":
        ref.write_parquet(path)
    elif suffix == ".csv":
        ref.write_csv(path)
    else:
        ref.write_ndjson(path)
    settings = _world(tmp_path, capsys, f"{{file: {path.name}}}", _frame(30, rng))
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + 2 * DAY)
    x = ref["x"].drop_nulls().drop_nans().to_numpy()
    assert len(x) < len(ref) - 20
    edges = _edges_oracle(x, 10)
    hist = found.histograms["x"]
    assert hist.edges is not None
    assert np.allclose(hist.edges, edges)
    # Bin k holds edges[k-1] <= x < edges[k]; the last bin everything from the top edge.
    expected = np.bincount(np.searchsorted(np.array(hist.edges), x, side="right"))
    assert list(hist.counts) == expected.tolist()
    cats = found.histograms["c"]
    assert dict(zip(cats.categories or (), cats.counts, strict=True)) == dict(
        zip(*np.unique(ref["c"].to_numpy(), return_counts=True), strict=True)
    )
    score = found.histograms["score"]
    assert score.total == len(ref)
    per_slice = found.histograms["score|seg=s1"]
    assert per_slice.total == int((ref["seg"] == "s1").sum())
    assert found.rows == len(ref) and found.labeled == 0 and found.metrics == {}


@pytest.mark.parametrize(("shift", "drifts"), [(3.0, True), (0.0, False)])
def test_a_reference_file_drives_the_drift_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shift: float, drifts: bool
) -> None:
    rng = np.random.default_rng(7)
    _frame(48, rng, start=START - 30 * DAY, shift=shift, prefix="r").write_parquet(
        tmp_path / "reference.parquet"
    )
    settings = _world(tmp_path, capsys, "{file: reference.parquet}", _frame(48, rng))
    result = _check(capsys, settings, START + 2 * DAY)
    failing = _drift_failing(result, after=START + 6 * HOUR)
    assert result["problems"] == []
    if not drifts:
        assert failing == []
        return
    # Every full trailing window differs from the reference.
    assert len(failing) >= 40, len(failing)
    alert = next(a for a in result["firing"] if a["kind"] == "drift" and a["feature"] == "x")
    # The alert's picture sets the reference's bins beside the last window's.
    done = cli(capsys, "--config", settings.path, "alerts", "show", str(alert["id"]), "--json")
    assert done.code == 0, done.err
    picture = done.json()["drift"]
    assert picture is not None
    assert len(picture["labels"]) == len(picture["baseline"]) == len(picture["current"]) == 10
    assert sum(picture["baseline"]) == pytest.approx(1.0)
    first, last = (datetime.fromisoformat(t) for t in picture["baseline_window"])
    assert START - 30 * DAY <= first < last <= START - 28 * DAY + timedelta(seconds=1)


def test_the_cache_follows_the_reference_files_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(9)
    ref = tmp_path / "reference.csv"
    _frame(10, rng, prefix="r").write_csv(ref)
    settings = _world(tmp_path, capsys, "{file: reference.csv}", _frame(30, rng))
    model = settings.model("m")
    reads: list[Path] = []
    real = ingest_load.stage_reference

    def counted(*args: Any, **kwargs: Any) -> int:
        reads.append(args[3].path)
        return real(*args, **kwargs)

    monkeypatch.setattr("tui.core.checks.reference.stage_reference", counted)
    store = Store(settings.store_path)
    now = START + 2 * DAY
    with store.write() as con:
        first = load_baseline(con, settings, "m", model, START, now)
    with store.write() as con:
        again = load_baseline(con, settings, "m", model, START, now)
    assert len(reads) == 1  # an unchanged file is read once
    assert again.histograms == first.histograms
    # The same rows shifted: the file's hash changes, and the bins are computed again.
    moved = pl.read_csv(ref).with_columns(pl.col("x") + 5.0)
    moved.write_csv(ref)
    with store.write() as con:
        edited = load_baseline(con, settings, "m", model, START, now)
    assert len(reads) == 2
    assert edited.source.key != first.source.key
    assert np.allclose(edited.histograms["x"].edges or (), _edges_oracle(moved["x"].to_numpy(), 10))
    keys = _count(settings, "SELECT count(DISTINCT baseline_key) FROM baseline_bins")
    assert keys == 2


def _labelled_reference(rng: np.random.Generator, n: int, ties: bool) -> pl.DataFrame:
    score = rng.random(n)
    if ties:
        score = np.round(score, 1)
    label = np.where(rng.random(n) < score, "1", "0")
    return pl.DataFrame(
        {
            "prediction_id": [f"r{i}" for i in range(n)],
            "ts": [START - DAY + timedelta(seconds=i) for i in range(n)],
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "seg": rng.choice(["s1", "s2"], n),
            "x": rng.normal(0, 1, n),
            "c": rng.choice(["a", "b"], n),
            "label": label,
        }
    )


def _sklearn_binary(pred: np.ndarray, label: np.ndarray, score: np.ndarray) -> dict[str, float]:
    y, p = label == "1", pred == "1"
    nan = float("nan")
    out = {
        "accuracy": skm.accuracy_score(y, p),
        "precision": skm.precision_score(y, p, zero_division=nan),
        "recall": skm.recall_score(y, p, zero_division=nan),
        "f1": skm.f1_score(y, p, zero_division=nan),
        "predicted_positive_rate": float(p.mean()),
    }
    tn, fp, _fn, _tp = skm.confusion_matrix(y, p, labels=[False, True]).ravel()
    out["fpr"] = fp / (fp + tn) if fp + tn else nan
    out["auc"] = skm.roc_auc_score(y, score) if 0 < y.sum() < len(y) else nan
    return {k: float(v) for k, v in out.items() if not math.isnan(float(v))}


@pytest.mark.parametrize(
    "case", ["random", "ties", "single_class", "some_unlabelled", "all_unlabelled"]
)
def test_a_labelled_reference_gives_the_metrics_scikit_learn_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    rng = np.random.default_rng(abs(hash(case)) % 1000)
    ref = _labelled_reference(rng, 700, ties=case != "random")
    if case == "single_class":
        ref = ref.with_columns(pl.lit("0").alias("label"))
    if case == "some_unlabelled":
        ref = ref.with_columns(
            pl.when(pl.int_range(pl.len()) % 5 == 0).then(None).otherwise("label").alias("label")
        )
    if case == "all_unlabelled":
        ref = ref.with_columns(pl.lit(None, dtype=pl.String).alias("label"))
    ref.write_parquet(tmp_path / "reference.parquet")
    settings = _world(tmp_path, capsys, "{file: reference.parquet}", _frame(30, rng))
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + DAY)
        targets = offline_targets(con, settings, "m", settings.model("m"), START, START + DAY)
        outcomes = reference_outcomes(con, settings, "m", START + DAY)
    labelled = ref.filter(pl.col("label").is_not_null())
    expected = (
        _sklearn_binary(
            labelled["prediction"].to_numpy(),
            labelled["label"].to_numpy(),
            labelled["score"].to_numpy(),
        )
        if len(labelled)
        else {}
    )
    assert found.labeled == len(labelled)
    assert set(found.metrics) == set(expected)
    for name, value in expected.items():
        assert found.metrics[name] == pytest.approx(value, abs=1e-12), name
    assert targets == found.metrics
    assert outcomes is not None
    assert sorted(outcomes.prediction_ids) == sorted(labelled["prediction_id"].to_list())
    by_id = dict(zip(labelled["prediction_id"], labelled["score"], strict=True))
    assert all(
        s == pytest.approx(by_id[i])
        for i, s in zip(outcomes.prediction_ids, outcomes.scores, strict=True)
    )


def test_offline_numbers_in_the_config_win_over_the_references(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(4)
    _labelled_reference(rng, 500, ties=False).write_parquet(tmp_path / "reference.parquet")
    settings = _world(
        tmp_path,
        capsys,
        "{file: reference.parquet}\n    offline: {f1: 0.99}",
        _frame(30, rng),
    )
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + DAY)
        targets = offline_targets(con, settings, "m", settings.model("m"), START, START + DAY)
    assert targets["f1"] == 0.99
    assert targets["recall"] == found.metrics["recall"]


def test_the_offline_gap_compares_against_the_references_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(8)
    ref = _labelled_reference(rng, 2000, ties=False)
    ref.write_parquet(tmp_path / "reference.parquet")
    frame = _frame(48, rng, labels=True)
    settings = _world(tmp_path, capsys, "{file: reference.parquet}", frame.drop("label"))
    labels = tmp_path / "labels.parquet"
    frame.select("prediction_id", "label").write_parquet(labels)
    done = cli(capsys, "--config", settings.path, "ingest", "labels", labels, "--model", "m")
    assert done.code == 0, done.err
    result = _check(capsys, settings, START + 5 * DAY)
    gaps = {r["check"]: r for r in result["results"] if r["kind"] == "offline_gap"}
    y = ref["label"].to_numpy() == "1"
    p = ref["prediction"].to_numpy() == "1"
    f1 = gaps["offline_gap:f1"]
    assert f1["detail"]["offline"] == pytest.approx(skm.f1_score(y, p))
    assert gaps["offline_gap:recall"]["detail"]["offline"] == pytest.approx(skm.recall_score(y, p))


def test_regression_and_multiclass_references_match_scikit_learn(tmp_path: Path) -> None:
    config = """\
store: store.duckdb
models:
  price:
    task: regression
    features: {rooms: {type: numeric}}
    baseline: {file: price.csv}
  kind:
    task: multiclass
    classes: [a, b, c]
    features: {rooms: {type: numeric}}
    baseline: {file: kind.jsonl}
"""
    rng = np.random.default_rng(12)
    n = 400
    truth = rng.normal(100, 20, n)
    guess = truth + rng.normal(3, 10, n)
    pl.DataFrame(
        {
            "prediction_id": [f"r{i}" for i in range(n)],
            "ts": [START + timedelta(minutes=i) for i in range(n)],
            "prediction": guess,
            "rooms": rng.integers(1, 6, n).astype(float),
            "label": truth,
        }
    ).write_csv(tmp_path / "price.csv")
    y = rng.choice(["a", "b", "c"], n)
    p = np.where(rng.random(n) < 0.7, y, rng.choice(["a", "b", "c"], n))
    pl.DataFrame(
        {
            "prediction_id": [f"r{i}" for i in range(n)],
            "ts": [START + timedelta(minutes=i) for i in range(n)],
            "prediction": p,
            "rooms": rng.integers(1, 6, n).astype(float),
            "label": y,
        }
    ).write_ndjson(tmp_path / "kind.jsonl")
    settings = load_config(write_config(tmp_path, config))
    with Store(settings.store_path).write() as con:
        price = load_baseline(con, settings, "price", settings.model("price"), START, START)
        kind = load_baseline(con, settings, "kind", settings.model("kind"), START, START)
    # The CSV holds the values as text: compare with what was written.
    assert price.metrics["mae"] == pytest.approx(skm.mean_absolute_error(truth, guess))
    assert price.metrics["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(truth, guess)))
    assert price.metrics["bias"] == pytest.approx(float(np.mean(guess - truth)))
    # R² and MAPE too: a labelled reference stands in for every missing `offline:` number.
    assert price.metrics["r2"] == pytest.approx(skm.r2_score(truth, guess))
    nonzero = truth != 0
    assert price.metrics["mape"] == pytest.approx(
        skm.mean_absolute_percentage_error(truth[nonzero], guess[nonzero])
    )
    assert kind.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    assert kind.metrics["macro_f1"] == pytest.approx(skm.f1_score(y, p, average="macro"))


# --- a bad reference file ---------------------------------------------------------------


def _bad(tmp_path: Path, name: str, content: bytes | None) -> Path:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return path


CSV_HEADER = b"prediction_id,ts,prediction,score,seg,x,c\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.parquet", None, "no such file"),
        ("ref.txt", b"hello\n", "cannot tell the format"),
        (
            "ref.csv",
            CSV_HEADER + b"r1,2026-10-01T00:00,1,0.5,s1,1.0,a\nr2,2026-10-01T00:01,1,abc,s1,1,a\n",
            "line 3: column 'score': expected a number",
        ),
        (
            "ref.csv",
            CSV_HEADER + b"r1,2026-10-01T00:00,1,NaN,s1,1.0,a\n",
            "expected a finite number",
        ),
        ("ref.csv", b"prediction_id,ts\nr1,2026-10-01\n", "missing required column 'prediction'"),
        ("ref.csv", CSV_HEADER, "the file has a header but no rows"),
        (
            "ref.csv",
            b"prediction_id,ts,prediction,score,seg,c\nr1,2026-10-01T00:00,1,0.5,s1,a\n",
            "no column 'x', a declared feature of the model",
        ),
        ("ref.parquet", b"not parquet at all", "cannot read as parquet"),
        ("ref.csv", b"", "empty file"),
    ],
)
def test_a_bad_reference_file_is_named_and_nothing_is_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes | None,
    expected: str,
) -> None:
    rng = np.random.default_rng(1)
    _bad(tmp_path, name, content)
    settings = _world(tmp_path, capsys, f"{{file: {name}}}", _frame(30, rng))
    done = cli(capsys, "--config", settings.path, "check", "--now", (START + DAY).isoformat())
    assert done.code == 2, (done.code, done.err)
    assert "Traceback" not in done.err
    assert "baseline file of model 'm'" in done.err and name in done.err, done.err
    assert expected in done.err, done.err
    for sql in (
        "SELECT count(*) FROM check_results",
        "SELECT count(*) FROM baseline_bins",
        "SELECT count(*) FROM alerts",
        "SELECT count(*) FROM check_watermarks",
    ):
        assert _count(settings, sql) == 0, sql


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_reference_file_exits_74(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2)
    ref = tmp_path / "reference.parquet"
    _frame(2, rng, prefix="r").write_parquet(ref)
    settings = _world(tmp_path, capsys, "{file: reference.parquet}", _frame(30, rng))
    ref.chmod(0)
    try:
        done = cli(capsys, "--config", settings.path, "check", "--now", (START + DAY).isoformat())
    finally:
        ref.chmod(0o600)
    assert done.code == 74, done.err
    assert "reference.parquet" in done.err and "permission denied" in done.err
    assert _count(settings, "SELECT count(*) FROM check_results") == 0


def test_a_glob_like_reference_name_is_that_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    _frame(10, rng, prefix="r", shift=3.0).write_parquet(tmp_path / "ref1.parquet")
    settings = _world(tmp_path, capsys, "{file: 'ref*.parquet'}", _frame(30, rng))
    done = cli(capsys, "--config", settings.path, "check", "--now", (START + DAY).isoformat())
    assert done.code == 2 and "no such file" in done.err, done.err


# --- a model version --------------------------------------------------------------------


def test_a_model_versions_rows_are_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(21)
    old = _frame(48, rng, shift=3.0, version="v1", prefix="a")
    new = _frame(48, rng, start=START + 2 * DAY, version="v2", prefix="b")
    frame = pl.concat([old, new])
    settings = _world(tmp_path, capsys, "{model_version: v1}", frame)
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + 4 * DAY)
    assert found.histograms["x"].total == len(old)
    assert np.allclose(found.histograms["x"].edges or (), _edges_oracle(old["x"].to_numpy(), 10))
    result = _check(capsys, settings, START + 4 * DAY)
    # v2's windows differ from v1; v1's own windows do not.
    assert len(_drift_failing(result, after=START + 2 * DAY + 6 * HOUR)) >= 40
    within = [
        r
        for r in _drift_failing(result)
        if datetime.fromisoformat(r["window_start"]) < START + 2 * DAY
    ]
    assert within == []


def _version_keys(settings: Settings) -> list[str]:
    con = duckdb.connect(str(settings.store_path), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT baseline_key FROM baseline_bins WHERE baseline_key LIKE 'version:%'"
        ).fetchall()
    finally:
        con.close()
    return sorted(str(r[0]) for r in rows)


def test_a_live_versions_baseline_is_its_first_week_and_holds_still(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # v1 is still served: every ingest adds rows of it. Its baseline is its first week,
    # cached once; the bins of a first week still filling are replaced, never piled up.
    rng = np.random.default_rng(23)
    first = _frame(72, rng, prefix="a")
    settings = _world(tmp_path, capsys, "{model_version: v1}", first)
    _check(capsys, settings, START + 3 * DAY)
    early = _version_keys(settings)
    assert len(early) == 1
    rest = _frame(24 * 9, rng, start=START + 3 * DAY, shift=2.0, prefix="b")
    later = tmp_path / "later.parquet"
    rest.write_parquet(later)
    done = cli(capsys, "--config", settings.path, "ingest", "predictions", later, "-m", "m")
    assert done.code == 0, done.err
    _check(capsys, settings, START + 10 * DAY)
    week = _version_keys(settings)
    assert len(week) == 1 and week != early
    more = _frame(24, rng, start=START + 12 * DAY, shift=2.0, prefix="c")
    latest = tmp_path / "latest.parquet"
    more.write_parquet(latest)
    done = cli(capsys, "--config", settings.path, "ingest", "predictions", latest, "-m", "m")
    assert done.code == 0, done.err
    _check(capsys, settings, START + 13 * DAY)
    assert _version_keys(settings) == week
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + 13 * DAY)
    everything = pl.concat([first, rest])
    in_week = everything.filter(pl.col("ts") < START + 7 * DAY)["x"].to_numpy()
    assert found.histograms["x"].total == len(in_week)
    assert np.allclose(found.histograms["x"].edges or (), _edges_oracle(in_week, 10))


def test_a_model_version_without_rows_is_an_error_in_the_check_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(22)
    settings = _world(tmp_path, capsys, "{model_version: v9}", _frame(30, rng))
    done = cli(
        capsys, "--config", settings.path, "check", "--now", (START + 2 * DAY).isoformat(), "--json"
    )
    assert done.code == 0, done.err
    result = done.json()
    assert len(result["problems"]) == 1
    assert "models.m.baseline.model_version" in result["problems"][0]
    assert "'v9'" in result["problems"][0]
    assert "error:" in done.err and "v9" in done.err
    kinds = {r["kind"] for r in result["results"]}
    assert "drift" not in kinds and "volume" in kinds  # other checks still run


# --- a rolling baseline -----------------------------------------------------------------


def test_a_span_is_cut_by_day_for_a_rolling_baseline(tmp_path: Path) -> None:
    settings = load_config(write_config(tmp_path, _config("{last: 2d}")))
    span = Span(START + 20 * HOUR, START + 2 * DAY + 3 * HOUR, HOUR)
    parts = baseline_parts(settings.model("m"), span)
    assert [(p.start, p.end) for p in parts] == [
        (START + 20 * HOUR, START + DAY),
        (START + DAY, START + 2 * DAY),
        (START + 2 * DAY, START + 2 * DAY + 3 * HOUR),
    ]
    assert sum(len(p.windows()) for p in parts) == len(span.windows())
    fixed = load_config(write_config(tmp_path, _config("{start: 2026-11-01, end: 2026-11-01}")))
    assert baseline_parts(fixed.model("m"), span) == [span]


def test_the_rolling_baseline_skips_the_result_kinds_of_drift_and_data_quality() -> None:
    wanted = {k for k, kind in REGISTRY.items() if kind.family.name in ("drift", "data quality")}
    assert set(ALERTED_KINDS) == wanted


def test_a_rolling_baseline_follows_the_trailing_days_and_skips_alerted_windows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(31)
    shift_at = START + 4 * DAY + 12 * HOUR
    frame = _frame(7 * 24, rng, shift=4.0, shifted_from=shift_at)
    settings = _world(tmp_path, capsys, "{last: 2d}", frame)
    model = settings.model("m")
    # Up to the end of day 5: the shift (from noon on day 4) is alerted.
    first = _check(capsys, settings, START + 5 * DAY)
    assert _drift_failing(first, after=shift_at)
    assert _drift_failing(first, after=START + DAY) == _drift_failing(first, after=shift_at)
    store = Store(settings.store_path)
    alerts = [
        a
        for a in list_alerts(store, START + 5 * DAY, status="all", model="m")
        if a.kind in ALERTED_KINDS
    ]
    assert alerts
    # The baseline of day 6 is days 4 and 5, less the windows the alerts fired over.
    with store.write() as con:
        source = baseline_source(con, settings, "m", model, START, START + 5 * DAY + 3 * HOUR)
        found = load_baseline(con, settings, "m", model, START, START + 5 * DAY, START + 5 * DAY)
    # It ends one trailing drift window (less a check window) before day 6, so that no
    # row day 6's drift reads is in its own baseline.
    assert isinstance(model.checks.drift.window, timedelta)
    assert isinstance(model.checks.window, timedelta)
    lookback = model.checks.drift.window - model.checks.window
    assert lookback > timedelta(0)
    begin, end = START + 3 * DAY - lookback, START + 5 * DAY - lookback
    assert source.window == (begin, end)
    assert source.skip
    ts = frame["ts"].to_numpy().astype("datetime64[us]").astype(datetime)
    inside = [t for t in ts if begin <= t < end and not any(s <= t < e for s, e in source.skip)]
    assert found.histograms["x"].total == len(inside)
    assert len(inside) < 2 * 24 * RATE  # something was skipped
    # Skipping the alerted (shifted) hours keeps day 6 judged against unshifted rows:
    # the shift goes on drifting instead of becoming the new normal.
    second = _check(capsys, settings, START + 7 * DAY)
    assert len(_drift_failing(second, after=START + 5 * DAY + 6 * HOUR)) >= 20
    alert = next(a for a in second["firing"] if a["kind"] == "drift" and a["feature"] == "x")
    done = cli(capsys, "--config", settings.path, "alerts", "show", str(alert["id"]), "--json")
    assert done.code == 0, done.err
    picture = done.json()["drift"]
    assert picture is not None and sum(picture["baseline"]) == pytest.approx(1.0)


def test_a_first_catch_up_run_leaves_out_what_it_found_failing_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One run over the whole week (nothing stored before it) judges days 6 and 7 as
    # a run each day does: the shifted hours it found failing on days 5 and 6 stay out
    # of the later days' baselines although no alert of them was stored yet.
    rng = np.random.default_rng(31)
    shift_at = START + 4 * DAY + 12 * HOUR
    frame = _frame(7 * 24, rng, shift=4.0, shifted_from=shift_at)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    stepwise = _world(tmp_path / "a", capsys, "{last: 2d}", frame)
    _check(capsys, stepwise, START + 5 * DAY)
    sixth = _check(capsys, stepwise, START + 6 * DAY)
    seventh = _check(capsys, stepwise, START + 7 * DAY)
    second = {"results": sixth["results"] + seventh["results"]}
    at_once = _world(tmp_path / "b", capsys, "{last: 2d}", frame)
    whole = _check(capsys, at_once, START + 7 * DAY)
    late = START + 5 * DAY

    def drift(result: Any) -> dict[str, tuple[str, float]]:
        return {
            r["window_start"]: (r["status"], round(r["value"], 9))
            for r in result["results"]
            if r["kind"] == "drift" and r["feature"] == "x" and r["window_start"] >= str(late)
        }

    expected = drift(second)
    assert len(expected) == 48
    assert sum(status != "pass" for status, _v in expected.values()) >= 20
    assert drift(whole) == expected


def test_a_vanished_value_stays_vanished_across_a_rolling_baselines_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # c = d in a third of the rows until noon of day 4; after it, one stray d row in
    # the first hour of each day. One run judges the whole week, a baseline per day:
    # the held state passes from day to day, so the stray row is not a recovery.
    rng = np.random.default_rng(33)
    frame = _frame(7 * 24, rng)
    gone = START + 3 * DAY + 12 * HOUR
    hour = pl.col("ts").dt.truncate("1h")
    stray = (pl.col("ts").dt.hour() == 0) & (pl.int_range(pl.len()).over(hour) == 0)
    value = pl.int_range(pl.len()) % 3
    frame = frame.with_columns(
        pl.when((pl.col("ts") >= gone) & ~stray)
        .then(pl.when(value == 0).then(pl.lit("a")).otherwise(pl.lit("b")))
        .when(value == 0)
        .then(pl.lit("d"))
        .otherwise(pl.col("c"))
        .alias("c")
    )
    settings = _world(tmp_path, capsys, "{last: 2d}", frame)
    result = _check(capsys, settings, START + 7 * DAY)
    after = [
        r
        for r in result["results"]
        if r["kind"] == "distinct" and datetime.fromisoformat(r["window_start"]) >= gone + HOUR
    ]
    # Through the first hours of two later days, each with its stray row.
    assert len(after) >= 11 + 2 * 24
    passing = [r["window_start"] for r in after if r["status"] not in ("warning", "critical")]
    assert passing == []
    assert all("d" in r["detail"]["unrecovered"] for r in after)


@pytest.mark.parametrize(
    ("day", "begin"),
    [
        # The day served, and where its month-long baseline begins: it ends 5 h (one
        # trailing drift window less a check window) before the day, and begins the
        # same time a calendar month earlier, on the month's last day where it is shorter.
        ("2024-04-01", "2024-02-29T19:00"),  # back from 31 March in a leap year
        ("2023-04-01", "2023-02-28T19:00"),  # and in a common year
        ("2026-08-01", "2026-06-30T19:00"),  # 31 July to 30 June
        ("2026-05-01", "2026-03-30T19:00"),  # 30 April to 30 March
        ("2026-03-01", "2026-01-28T19:00"),  # 28 February to 28 January
        ("2026-12-16", "2026-11-15T19:00"),  # mid-month
    ],
)
def test_a_rolling_baseline_of_a_calendar_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], day: str, begin: str
) -> None:
    settings = _world(tmp_path, capsys, "{last: 1mo}", _frame(2, np.random.default_rng(41)))
    model = settings.model("m")
    assert str(model.baseline.last if model.baseline else None) == "1mo"
    at = datetime.fromisoformat(day) + 7 * HOUR
    with Store(settings.store_path).write() as con:
        source = baseline_source(con, settings, "m", model, START, at)
    end = datetime.fromisoformat(day) - 5 * HOUR
    assert source.window == (datetime.fromisoformat(begin), end)
    assert baseline_parts(model, Span(at, at + 2 * DAY, HOUR))[0].end == at + 17 * HOUR


def test_a_month_long_rolling_baseline_holds_the_month_before_each_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame(36 * 24, np.random.default_rng(42))
    settings = _world(tmp_path, capsys, "{last: 1mo}", frame)
    model = settings.model("m")
    day = datetime(2026, 12, 5)
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", model, START, day + DAY, day)
    # 4 December 19:00 back to 4 November 19:00: November has 30 days.
    begin, end = datetime(2026, 11, 4, 19), datetime(2026, 12, 4, 19)
    inside = frame.filter((pl.col("ts") >= begin) & (pl.col("ts") < end))
    assert found.histograms["x"].total == inside.height == 30 * 24 * RATE
    result = _check(capsys, settings, START + 36 * DAY)
    judged = [
        r for r in result["results"] if r["kind"] == "drift" and r["status"] != "insufficient"
    ]
    assert judged and not _drift_failing(result)


def test_a_baseline_window_still_filling_is_not_frozen_at_its_first_hours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Delivered as a pipeline does: a check after the first 12 hours reads a baseline
    # of 12 hours; once its three days are in, the baseline is all three.
    rng = np.random.default_rng(43)
    frame = _frame(4 * 24, rng)
    early = frame.filter(pl.col("ts") < START + 12 * HOUR)
    settings = _world(tmp_path, capsys, "{start: 2026-11-01, end: 2026-11-03}", early)
    _check(capsys, settings, START + 12 * HOUR)
    rest = tmp_path / "rest.parquet"
    frame.filter(pl.col("ts") >= START + 12 * HOUR).write_parquet(rest)
    done = cli(capsys, "--config", settings.path, "ingest", "predictions", rest, "-m", "m")
    assert done.code == 0, done.err
    _check(capsys, settings, START + 4 * DAY)
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, START + 4 * DAY)
    assert found.histograms["x"].total == 3 * 24 * RATE
    assert (
        found.histograms["score|seg=s1"].total
        == frame.filter((pl.col("ts") < START + 3 * DAY) & (pl.col("seg") == "s1")).height
    )


def test_a_nan_feature_in_a_parquet_file_is_stored_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found through reference files, which are read as predictions files are.
    frame = _frame(2, np.random.default_rng(6))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 4 == 0).then(float("nan")).otherwise("x").alias("x")
    )
    settings = _world(tmp_path, capsys, "", frame)
    nulls = _count(settings, "SELECT count(*) FROM predictions__m WHERE x IS NULL")
    assert nulls == len(frame) // 4
    assert _count(settings, "SELECT count(*) FROM predictions__m WHERE isnan(x)") == 0


def test_a_nan_score_in_a_parquet_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same statistics would let a NaN score pass the finite-number check.
    frame = _frame(2, np.random.default_rng(7))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(float("nan")).otherwise("score").alias("score")
    )
    path = write_config(tmp_path, _config(""))
    data = tmp_path / "predictions.parquet"
    frame.write_parquet(data)
    done = cli(capsys, "--config", path, "ingest", "predictions", data, "--model", "m")
    assert done.code == 2
    assert "row 6: column 'score': expected a finite number" in done.err
    assert "nothing was written" in done.err


def test_a_reference_file_that_cannot_be_opened_exits_74(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root no mode bits keep a file from being read: refuse the open itself.
    rng = np.random.default_rng(2)
    ref = tmp_path / "reference.parquet"
    _frame(2, rng, prefix="r").write_parquet(ref)
    settings = _world(tmp_path, capsys, "{file: reference.parquet}", _frame(30, rng))
    real_open = os.open

    def refusing(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == ref:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr("tui.core.ingest.snapshot.os.open", refusing)
    done = cli(capsys, "--config", settings.path, "check", "--now", (START + DAY).isoformat())
    assert done.code == 74, done.err
    assert "reference.parquet" in done.err and "permission denied" in done.err
    assert _count(settings, "SELECT count(*) FROM check_results") == 0


def test_the_reference_files_categories_are_the_expected_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(13)
    ref = _frame(10, rng, prefix="r")
    # A third of the reference is category z, which production never sends.
    ref = ref.with_columns(
        pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("z")).otherwise("c").alias("c")
    )
    ref.write_csv(tmp_path / "reference.csv")
    settings = _world(tmp_path, capsys, "{file: reference.csv}", _frame(30, rng))
    result = _check(capsys, settings, START + DAY + 6 * HOUR)
    distinct = [r for r in result["results"] if r["kind"] == "distinct" and r["feature"] == "c"]
    assert distinct
    assert all(r["detail"]["vanished"] == ["z"] for r in distinct if r["status"] != "insufficient")
    assert any(r["status"] in ("warning", "critical") for r in distinct)
    assert all(r["detail"].get("baseline_distinct", 3) == 3 for r in distinct)


def test_a_bad_reference_of_one_model_stops_the_run_before_any_model_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(14)
    two = _config("{file: reference.csv}").replace(
        "models:\n", "models:\n  a:\n    task: binary\n    positive: '1'\n", 1
    )
    path = write_config(tmp_path, two)
    (tmp_path / "reference.csv").write_bytes(
        CSV_HEADER + b"r1,2026-10-01T00:00,1,2.5,s1,1.0,a\n"  # a score above 1
    )
    data = tmp_path / "predictions.parquet"
    frame = _frame(30, rng)
    frame.write_parquet(data)
    for model in ("a", "m"):
        done = cli(capsys, "--config", path, "ingest", "predictions", data, "--model", model)
        assert done.code == 0, done.err
    settings = load_config(path)
    assert list(settings.config.models) == ["a", "m"]  # `a` would be checked first
    done = cli(capsys, "--config", path, "check", "--now", (START + DAY).isoformat())
    assert done.code == 2, done.err
    assert "reference.csv: line 2: column 'score': expected a probability" in done.err
    assert _count(settings, "SELECT count(*) FROM check_results") == 0
    assert _count(settings, "SELECT count(*) FROM baseline_bins") == 0
