"""Slice metrics against scikit-learn on random data; rollups give the same answers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from tests.helpers import cli
from tui.core.checks.estimated import daily_estimate
from tui.core.config.settings import load_config
from tui.core.errors import UsageError
from tui.core.ingest.rollups import refresh
from tui.core.slices.examples import examples_page, write_examples
from tui.core.slices.explore import metric_series, slice_metrics, worst_slices
from tui.core.slices.labels import label_delay
from tui.core.slices.request import Request
from tui.core.store.connection import Store
from tui.core.store.filters import parse_filters

START = datetime(2026, 11, 1)
NOW = datetime(2026, 11, 9)

CONFIG = """\
store: store.duckdb
models:
  bin:
    task: binary
    positive: "1"
    slices: [seg, region]
    features: {x: {type: numeric}}
  multi:
    task: multiclass
    classes: [a, b, c]
    slices: [seg]
  reg:
    task: regression
    slices: [seg]
"""


def _frames(task: str, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = 3000
    ts = [START + timedelta(seconds=int(s)) for s in rng.integers(0, 7 * 86400, n)]
    seg = rng.choice(["s1", "s2", "s3", "empty-ish"], n, p=[0.45, 0.35, 0.199, 0.001])
    region = rng.choice(["r1", "r2"], n)
    ids = [f"{task}-{i}" for i in range(n)]
    if task == "bin":
        # Scores rounded to one decimal: plenty of ties.
        score = np.round(rng.random(n), 1)
        y = (rng.random(n) < score).astype(int).astype(str)
        # One segment has a single class among its labels.
        y = np.where(seg == "s3", "0", y)
        preds = pl.DataFrame(
            {
                "prediction_id": ids,
                "ts": ts,
                "prediction": np.where(score >= 0.5, "1", "0"),
                "score": score,
                "seg": seg,
                "region": region,
                "x": rng.normal(0, 1, n),
            }
        )
    elif task == "multi":
        y = rng.choice(["a", "b", "c"], n)
        p = np.where(rng.random(n) < 0.6, y, rng.choice(["a", "b", "c"], n))
        preds = pl.DataFrame({"prediction_id": ids, "ts": ts, "prediction": p, "seg": seg})
    else:
        y_val = rng.normal(30, 5, n)
        p_val = y_val + rng.normal(0.5, 3, n)
        y = np.round(y_val, 3).astype(str)
        preds = pl.DataFrame(
            {
                "prediction_id": ids,
                "ts": ts,
                "prediction": np.round(p_val, 3).astype(str),
                "seg": seg,
            }
        )
    labeled_at = [
        t + timedelta(hours=float(h)) for t, h in zip(ts, rng.exponential(30, n), strict=True)
    ]
    labels = pl.DataFrame({"prediction_id": ids, "label": y, "labeled_at": labeled_at})
    # Some never labelled; the "empty-ish" segment entirely unlabelled.
    keep = (rng.random(n) < 0.85) & (seg != "empty-ish")
    return preds, labels.filter(pl.Series(keep))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("slices")
    (folder / "oncall.yaml").write_text(CONFIG)
    rng = np.random.default_rng(11)
    frames = {}
    import pytest as _pytest

    capsys = None
    for task in ("bin", "multi", "reg"):
        preds, labels = _frames(task, rng)
        preds.write_parquet(folder / f"{task}.parquet")
        labels.write_csv(folder / f"{task}-labels.csv")
        frames[task] = (preds, labels)
    del _pytest, capsys
    from tui.core.ingest.load import ingest_file

    settings = load_config(folder / "oncall.yaml")
    st = Store(settings.store_path)
    for task in frames:
        ingest_file(
            st, settings, "predictions", task, folder / f"{task}.parquet", actor="t", now=NOW
        )
        ingest_file(st, settings, "labels", task, folder / f"{task}-labels.csv", actor="t", now=NOW)
    return folder, frames


def _request(
    folder: Path, model: str, now: datetime = NOW, where: list[str] | None = None
) -> tuple[Store, Request]:
    settings = load_config(folder / "oncall.yaml")
    spec = settings.model(model)
    req = Request(
        model,
        spec,
        START,
        START + timedelta(days=7),
        now,
        None,
        parse_filters(model, spec, where or []),
    )
    return Store(settings.store_path), req


def _known(frames: dict[str, Any], task: str, now: datetime) -> pl.DataFrame:
    preds, labels = frames[task]
    joined: pl.DataFrame = preds.join(
        labels.filter(pl.col("labeled_at") <= now), on="prediction_id", how="left"
    )
    return joined


def _approx(got: float | None, expected: float | None) -> None:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("now", [NOW, START + timedelta(days=3)])
def test_binary_metrics_per_slice_match_sklearn(
    store: tuple[Path, dict[str, Any]], now: datetime
) -> None:
    folder, frames = store
    st, req = _request(folder, "bin", now)
    with st.read() as con:
        rows, source = slice_metrics(con, req, ["seg"], exact_auc=True)
    assert source == "raw"
    joined = _known(frames, "bin", now)
    by = {(r.slice or {}).get("seg"): r for r in rows}
    assert None in by
    for seg, row in by.items():
        part = joined if seg is None else joined.filter(pl.col("seg") == seg)
        lab = part.filter(pl.col("label").is_not_null())
        assert row.n == part.height
        assert row.n_labeled == lab.height
        if lab.height == 0:
            assert (
                row.value("accuracy") is None
                and row.value("f1") is None
                and row.value("auc") is None
            )
            continue
        y, p = lab["label"].to_numpy(), lab["prediction"].to_numpy()
        _approx(row.value("accuracy"), skm.accuracy_score(y, p))
        _approx(
            row.value("precision"),
            skm.precision_score(y, p, pos_label="1", zero_division=np.nan)
            if (p == "1").any()
            else None,
        )
        _approx(
            row.value("recall"),
            skm.recall_score(y, p, pos_label="1", zero_division=np.nan)
            if (y == "1").any()
            else None,
        )
        if (y == "1").any() or (p == "1").any():
            _approx(row.value("f1"), skm.f1_score(y, p, pos_label="1"))
        if len(set(y)) == 2:
            _approx(row.value("auc"), skm.roc_auc_score(y == "1", lab["score"].to_numpy()))
        else:
            assert row.value("auc") is None
        ci = row.interval("accuracy")
        assert ci is not None
        lo, hi = ci
        accuracy = row.value("accuracy")
        assert accuracy is not None and lo <= accuracy <= hi


def test_binned_auc_equals_an_independent_binning(store: tuple[Path, dict[str, Any]]) -> None:
    folder, frames = store
    st, req = _request(folder, "bin")
    with st.read() as con:
        rows, _ = slice_metrics(con, req, [])
    lab = _known(frames, "bin", NOW).filter(pl.col("label").is_not_null())
    bins = np.minimum(np.floor(lab["score"].to_numpy() * 20), 19)
    # Binned AUC is the exact AUC of the binned scores (ties count one half).
    expected = skm.roc_auc_score(lab["label"].to_numpy() == "1", bins)
    assert rows[0].value("auc") == pytest.approx(expected)


def test_multiclass_and_regression_match_sklearn(store: tuple[Path, dict[str, Any]]) -> None:
    folder, frames = store
    st, req = _request(folder, "multi")
    with st.read() as con:
        rows, _ = slice_metrics(con, req, ["seg"])
    joined = _known(frames, "multi", NOW)
    for row in rows:
        seg = (row.slice or {}).get("seg")
        part = joined if seg is None else joined.filter(pl.col("seg") == seg)
        lab = part.filter(pl.col("label").is_not_null())
        if lab.height == 0:
            assert row.value("accuracy") is None and row.value("macro_f1") is None
            continue
        y, p = lab["label"].to_numpy(), lab["prediction"].to_numpy()
        _approx(row.value("accuracy"), skm.accuracy_score(y, p))
        _approx(row.value("macro_f1"), skm.f1_score(y, p, average="macro"))
        for cls, value in zip(
            sorted(set(y) | set(p)),
            skm.recall_score(
                y, p, average=None, labels=sorted(set(y) | set(p)), zero_division=np.nan
            ),
            strict=True,
        ):
            _approx(row.value(f"recall_{cls}"), None if math.isnan(value) else float(value))
    st, req = _request(folder, "reg")
    with st.read() as con:
        rows, _ = slice_metrics(con, req, ["seg"])
    joined = _known(frames, "reg", NOW)
    for row in rows:
        seg = (row.slice or {}).get("seg")
        part = joined if seg is None else joined.filter(pl.col("seg") == seg)
        lab = part.filter(pl.col("label").is_not_null())
        if lab.height == 0:
            assert (
                row.value("mae") is None and row.value("rmse") is None and row.value("bias") is None
            )
            continue
        y = lab["label"].cast(pl.Float64).to_numpy()
        p = lab["prediction"].cast(pl.Float64).to_numpy()
        _approx(row.value("mae"), skm.mean_absolute_error(y, p))
        _approx(row.value("rmse"), math.sqrt(skm.mean_squared_error(y, p)))
        _approx(row.value("bias"), float(np.mean(p - y)))


def test_an_empty_filter_gives_null_metrics(store: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = store
    st, req = _request(folder, "bin", where=["seg=no-such-segment"])
    with st.read() as con:
        rows, _ = slice_metrics(con, req, ["seg"])
    assert len(rows) == 1
    assert rows[0].n == 0 and rows[0].value("accuracy") is None and rows[0].coverage is None


@pytest.mark.parametrize("model", ["bin", "multi", "reg"])
def test_rollups_and_raw_rows_give_identical_results(
    store: tuple[Path, dict[str, Any]], model: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = store
    settings = load_config(folder / "oncall.yaml")
    # A late relabelling changes some windows; rollups must follow.
    relabel = folder / f"{model}-relabel.csv"
    _, labels = _known_frames(store, model)
    first = labels.head(50)
    if model == "bin":
        first = first.with_columns(
            label=pl.when(pl.col("label") == "1").then(pl.lit("0")).otherwise(pl.lit("1"))
        )
    elif model == "multi":
        first = first.with_columns(label=pl.lit("c"))
    else:
        first = first.with_columns(label=pl.lit("0.0"))
    first.with_columns(labeled_at=pl.lit(NOW)).write_csv(relabel)
    result = cli(
        capsys, "--config", folder / "oncall.yaml", "ingest", "labels", relabel, "--model", model
    )
    assert result.code == 0, result.err
    st = Store(settings.store_path)
    assert refresh(st, settings, model) > 0
    spec = settings.model(model)
    # Rollups hold every stored label, so they answer only the days whose labels were
    # all known by `now`: the rest of the window is read raw, and the answer is the same.
    later = datetime(2026, 12, 1)
    req = Request(model, spec, START, START + timedelta(days=7), later)
    early = Request(model, spec, START, START + timedelta(days=7), NOW)
    with st.read() as con:
        split, too_early = slice_metrics(con, early, ["seg"])
        plain, _ = slice_metrics(con, early, ["seg"], prefer_rollups=False)
    assert too_early != "rollups"
    assert _canon([r.to_json() for r in split]) == _canon([r.to_json() for r in plain])
    columns = ["seg"] if model != "bin" else ["seg", "region"]
    with st.read() as con:
        via_rollups, a = slice_metrics(con, req, columns)
        via_raw, b = slice_metrics(con, req, columns, prefer_rollups=False)
    assert (a, b) == ("rollups", "raw")
    assert _canon([r.to_json() for r in via_rollups]) == _canon([r.to_json() for r in via_raw])
    if model == "bin":
        with st.read() as con:
            w1, s1, _ = worst_slices(con, req, min_support=20)
            w2, s2, _ = worst_slices(con, req, min_support=20, prefer_rollups=False)
        assert _canon([w.to_json() for w in w1]) == _canon([w.to_json() for w in w2])
        assert s1 == s2


def _known_frames(
    store: tuple[Path, dict[str, Any]], model: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    frames: tuple[pl.DataFrame, pl.DataFrame] = store[1][model]
    return frames


def _canon(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, tuple | list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        return v

    return [clean(r) for r in rows]


def test_bad_columns_and_metrics_exit_2_with_the_valid_ones(
    store: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = store
    config = folder / "oncall.yaml"
    bad_by = cli(
        capsys, "--config", config, "slices", "metrics", "--model", "bin", "--by", "planet"
    )
    assert bad_by.code == 2 and "known: seg, region, model_version" in bad_by.err
    bad_metric = cli(
        capsys, "--config", config, "slices", "worst", "--model", "reg", "--metric", "f1"
    )
    assert bad_metric.code == 2 and "mae, rmse, bias" in bad_metric.err
    bad_where = cli(capsys, "--config", config, "examples", "--model", "bin", "--where", "nope=1")
    assert bad_where.code == 2 and "known: seg, region, x" in bad_where.err
    ok = cli(
        capsys,
        "--config",
        config,
        "--now",
        NOW.isoformat(),
        "slices",
        "metrics",
        "--model",
        "bin",
        "--by",
        "seg",
        "--since",
        START.isoformat(),
        "--until",
        (START + timedelta(days=7)).isoformat(),
        "--json",
    )
    assert ok.code == 0, ok.err
    body = ok.json()
    assert body[0]["slice"] is None
    assert {
        "slice",
        "n",
        "n_labeled",
        "coverage",
        "accuracy",
        "accuracy_ci",
        "accuracy_diff",
        "f1",
        "auc",
    } <= set(body[1])
    assert isinstance(body[1]["slice"], dict)


def _plain(value: Any) -> Any:
    """A record's JSON as the command line prints it (tuples as lists, times as text)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def _close(got: Any, expected: Any, rel: float = 1e-9) -> bool:
    """Equal keys, order and values, floats to `rel` (DuckDB sums floats in parallel, so
    the last digits of a sum, and its approximate quantiles, vary between runs)."""
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and list(got) == list(expected)
            and all(
                _close(got[k], v, 5e-2 if k.endswith("_hours") else rel)
                for k, v in expected.items()
            )
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(_close(g, e, rel) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, float) and isinstance(got, float):
        return got == pytest.approx(expected, rel=rel, abs=1e-12)
    return bool(got == expected)


def test_both_faces_get_the_same_records_from_the_same_call(
    store: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = store
    st, req = _request(folder, "bin")
    with st.read() as con:
        rows, _ = slice_metrics(con, req, ["seg"])
        worst, summary, _ = worst_slices(con, req, min_support=20)
        # The series carries the estimate the command computes: from the same call.
        report, _ = daily_estimate(con, load_config(folder / "oncall.yaml"), req)
        points = metric_series(con, req, None, report)
        delay = label_delay(con, req, "seg")
    window = ("--since", START.isoformat(), "--until", (START + timedelta(days=7)).isoformat())
    base = ("--config", folder / "oncall.yaml", "--now", NOW.isoformat())
    model = ("--model", "bin", *window, "--json")

    def printed(*args: str) -> Any:
        result = cli(capsys, *base, *args, *model)
        assert result.code == 0, result.err
        return result.json()

    assert _close(printed("slices", "metrics", "--by", "seg"), _plain([r.to_json() for r in rows]))
    assert _close(
        printed("slices", "worst", "--min-support", "20"), _plain([w.to_json() for w in worst])
    )
    assert _close(printed("slices", "series"), _plain([p.to_json() for p in points]))
    # Days of one slice value follow no order within a day: compare them sorted.
    shown = printed("labels", "delay", "--by", "seg")
    expected = _plain(delay.to_json())
    for report in (shown, expected):
        report["days"].sort(key=lambda d: (d["day"], str(d["seg"])))
        report["summary"].sort(key=lambda d: str(d["seg"]))
    assert _close(shown, expected)
    # The records keep the printed keys: a slice row's metric, interval and difference.
    first = rows[1].to_json()
    assert first["accuracy"] == rows[1].value("accuracy")
    assert first["accuracy_ci"] == rows[1].interval("accuracy")
    assert first["accuracy_diff"] == rows[1].diff("accuracy")
    assert first["estimated"] == rows[1].estimated and set(first["estimated"]) >= {"f1"}
    assert summary.metric == "accuracy" and summary.n == rows[0].n
    assert [p.day for p in points] == [START + timedelta(days=d) for d in range(7)]
    assert sum(p.n for p in points) == rows[0].n
    assert {d.group for d in delay.days} == {t.group for t in delay.summary}


def test_errors_speak_the_domain_and_the_command_line_adds_its_flag(
    store: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder, _ = store
    st, req = _request(folder, "bin")
    spec = req.model
    with st.read() as con:
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: parse_filters("bin", spec, ["seg"]), "where"),
            (lambda: parse_filters("bin", spec, ["nope=1"]), "where"),
            (lambda: worst_slices(con, req, max_depth=4), "max depth"),
            (lambda: slice_metrics(con, req, ["planet"]), "by"),
            (lambda: slice_metrics(con, req, ["seg"], "mae"), "metric"),
            (lambda: examples_page(con, req, limit=0), "limit"),
            (lambda: examples_page(con, req, after="no-key"), "after"),
            (lambda: examples_page(con, req, after="x|1"), "after"),
            (lambda: label_delay(con, req, "planet"), "by"),
            (lambda: write_examples([], tmp_path / "rows.txt"), "out"),
        ]
        for call, field in cases:
            with pytest.raises(UsageError) as caught:
                call()
            assert caught.value.field == field
            assert "--" not in caught.value.message, caught.value.message
        with pytest.raises(UsageError) as both:
            examples_page(con, req, wrong=True, unlabeled=True)
        assert "--" not in both.value.message
    config = folder / "oncall.yaml"
    depth = cli(capsys, "--config", config, "slices", "worst", "--model", "bin", "--max-depth", "4")
    assert depth.code == 2 and "(--max-depth)" in depth.err
    where = cli(capsys, "--config", config, "examples", "--model", "bin", "--where", "seg")
    assert where.code == 2 and "COLUMN=VALUE" in where.err and "(--where)" in where.err
    examples = ("--config", config, "examples", "--model", "bin")
    both_flags = cli(capsys, *examples, "--wrong", "--unlabeled")
    assert both_flags.code == 2 and "--wrong and --unlabeled" in both_flags.err
