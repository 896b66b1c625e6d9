"""The label checks: label delay per slice, every metric through the SLO and offline-gap
path against scikit-learn, SLO intervals and severity, and checks that can never fire."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from tests.helpers import cli, write_config
from tui.core.checks.labelled import _slo_status, slo_metric
from tui.core.config.settings import (
    CHECKS_ONLY_METRICS,
    LOWER_IS_BETTER,
    METRICS_BY_TASK,
    Model,
    Slo,
)
from tui.core.monitor import never_judged
from tui.core.slices.metrics import LabelSums, f1_interval, multiclass_metrics, regression_metrics
from tui.core.slices.outcomes import Counts
from tui.core.store.connection import fetch_rows

DAY = timedelta(days=1)
START = datetime(2026, 11, 1)


def _ingest(
    capsys: pytest.CaptureFixture[str],
    folder: Path,
    model: str,
    preds: pl.DataFrame,
    labels: pl.DataFrame | None,
    tag: str = "",
) -> None:
    config = folder / "oncall.yaml"
    preds.write_parquet(folder / f"p_{model}{tag}.parquet")
    r = cli(
        capsys,
        "--config",
        config,
        "ingest",
        "predictions",
        folder / f"p_{model}{tag}.parquet",
        "--model",
        model,
    )
    assert r.code == 0, r.err
    if labels is not None:
        labels.write_parquet(folder / f"l_{model}{tag}.parquet")
        r = cli(
            capsys,
            "--config",
            config,
            "ingest",
            "labels",
            folder / f"l_{model}{tag}.parquet",
            "--model",
            model,
        )
        assert r.code == 0, r.err


def _check(capsys: pytest.CaptureFixture[str], folder: Path, now: datetime) -> dict[str, Any]:
    r = cli(capsys, "--config", folder / "oncall.yaml", "--now", now.isoformat(), "check", "--json")
    assert r.code in (0, 1), r.err
    assert "Traceback" not in r.err
    out: dict[str, Any] = r.json()
    return out


def _query(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(folder / "store.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _slo_lines(task: str) -> str:
    lines = []
    for metric in METRICS_BY_TASK[task]:
        bound = "max: 0.5" if metric in LOWER_IS_BETTER or metric == "bias" else "min: 0.5"
        lines.append(f"      - {{metric: {metric}, {bound}, window: 1d, min_labeled: 50}}")
    return "\n".join(lines)


def _offline_lines(task: str) -> str:
    return ", ".join(f"{m}: 0.7" for m in METRICS_BY_TASK[task])


def _every_metric_config() -> str:
    return f"""\
store: store.duckdb
models:
  b:
    task: binary
    positive: "1"
    labels: {{expected_delay: 1d}}
    offline: {{{_offline_lines("binary")}}}
    slos:
{_slo_lines("binary")}
  mc:
    task: multiclass
    labels: {{expected_delay: 1d}}
    offline: {{{_offline_lines("multiclass")}}}
    slos:
{_slo_lines("multiclass")}
  r:
    task: regression
    labels: {{expected_delay: 1d}}
    offline: {{{_offline_lines("regression")}}}
    slos:
{_slo_lines("regression")}
checks:
  window: 1d
  offline_gap: {{window: 1d, min_labeled: 50}}
"""


def _frame(
    n: int, day: int, rng: np.random.Generator, prediction: Any, **cols: Any
) -> pl.DataFrame:
    ts = [START + day * DAY + timedelta(seconds=int(s)) for s in rng.integers(0, 86400, n)]
    return pl.DataFrame(
        {
            "prediction_id": [f"d{day}-{i}" for i in range(n)],
            "ts": ts,
            "prediction": prediction,
            **cols,
        }
    )


def _labels(preds: pl.DataFrame, label: Any) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "prediction_id": preds["prediction_id"],
            "label": label,
            "labeled_at": preds["ts"] + timedelta(hours=1),
        }
    )


def _oracle(task: str, metric: str, y: np.ndarray, p: np.ndarray, s: np.ndarray | None) -> float:
    if task == "binary":
        yb, pb = (y == "1").astype(int), (p == "1").astype(int)
        if metric == "auc":
            assert s is not None
            return float(skm.roc_auc_score(yb, s))
        if metric == "fpr":
            tn, fp, _fn, _tp = skm.confusion_matrix(yb, pb, labels=[0, 1]).ravel()
            return float(fp / (fp + tn))
        if metric == "predicted_positive_rate":
            return float(pb.mean())
        fn = {"accuracy": skm.accuracy_score, "precision": skm.precision_score}
        fn |= {"recall": skm.recall_score, "f1": skm.f1_score}
        return float(fn[metric](yb, pb))
    if task == "multiclass":
        if metric == "accuracy":
            return float(skm.accuracy_score(y, p))
        average = metric.removesuffix("_f1")
        return float(skm.f1_score(y, p, average=average, zero_division=0))
    yf, pf = y.astype(float), p.astype(float)
    if metric == "mae":
        return float(skm.mean_absolute_error(yf, pf))
    if metric == "rmse":
        return math.sqrt(skm.mean_squared_error(yf, pf))
    if metric == "bias":
        return float((pf - yf).mean())
    if metric == "mape":
        keep = yf != 0  # zero labels are skipped
        return float(skm.mean_absolute_percentage_error(yf[keep], pf[keep]))
    assert metric == "r2"
    return float(skm.r2_score(yf, pf))


@pytest.fixture(scope="module")
def every_metric(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], dict[str, dict[int, tuple[Any, ...]]]]:
    """Three models with an SLO and an offline number on every metric of their task, two
    days of labelled traffic (day 1: tie-free scores; day 2: scores with ties)."""
    capsys_free = tmp_path_factory.mktemp("every")
    folder = capsys_free
    (folder / "oncall.yaml").write_text(_every_metric_config())
    rng = np.random.default_rng(11)
    truth: dict[str, dict[int, tuple[Any, ...]]] = {"b": {}, "mc": {}, "r": {}}
    frames: dict[str, tuple[list[pl.DataFrame], list[pl.DataFrame]]] = {m: ([], []) for m in truth}
    for day in range(2):
        n = 600 + 200 * day
        score = rng.random(n)
        if day == 1:
            score = np.round(score, 1)  # many ties
        y = np.where(rng.random(n) < score, "1", "0")
        p = np.where(score >= 0.5, "1", "0")
        pb = _frame(n, day, rng, p, score=score)
        frames["b"][0].append(pb)
        frames["b"][1].append(_labels(pb, y))
        truth["b"][day] = (y, p, score)
        yc = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
        pc = np.where(rng.random(n) < 0.6, yc, rng.choice(["a", "b", "c"], n))
        pm = _frame(n, day, rng, pc)
        frames["mc"][0].append(pm)
        frames["mc"][1].append(_labels(pm, yc))
        truth["mc"][day] = (yc, pc, None)
        yr = np.round(rng.normal(10, 4, n), 1)
        yr[rng.random(n) < 0.05] = 0.0  # zero labels: no percentage error
        pr = yr + rng.normal(0.3, 2, n)
        preg = _frame(n, day, rng, pr)
        frames["r"][0].append(preg)
        frames["r"][1].append(_labels(preg, yr))
        truth["r"][day] = (yr, pr, None)
    return {"folder": folder, "frames": frames}, truth


def test_every_metric_is_judged_through_the_slo_and_gap_path(
    every_metric: tuple[dict[str, Any], dict[str, dict[int, tuple[Any, ...]]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    world, truth = every_metric
    folder: Path = world["folder"]
    for model, (preds, labels) in world["frames"].items():
        _ingest(capsys, folder, model, pl.concat(preds), pl.concat(labels))
    out = _check(capsys, folder, START + 4 * DAY)
    results = {(r["model"], r["check"], r["window_start"][:10]): r for r in out["results"]}
    tasks = {"b": "binary", "mc": "multiclass", "r": "regression"}
    for model, task in tasks.items():
        for day in range(2):
            y, p, s = truth[model][day]
            w = (START + day * DAY).date().isoformat()
            for metric in METRICS_BY_TASK[task]:
                expected = _oracle(task, metric, y, p, s)
                slo = results[(model, f"slo:{metric}", w)]
                assert slo["status"] in ("pass", "warning", "critical"), (model, metric, slo)
                assert slo["value"] == pytest.approx(expected, rel=1e-9, abs=1e-12), (model, metric)
                gap = results[(model, f"offline_gap:{metric}", w)]
                assert gap["status"] in ("pass", "warning", "critical"), (model, metric, gap)
                assert gap["detail"]["online"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
                interval = slo["detail"]["interval"]
                # R² is graded without an interval; a multiclass F1's (a bootstrap) is
                # drawn only where the point misses the objective, where it decides.
                bootstrapped = metric in ("macro_f1", "weighted_f1")
                if metric != "r2" and not (bootstrapped and slo["status"] == "pass"):
                    assert interval is not None, (model, metric)
                    assert interval[0] <= slo["value"] + 1e-9 <= interval[1] + 2e-9, (model, metric)


def test_slo_severity_follows_the_interval() -> None:
    model = Model(task="binary", positive="1")
    c = Counts()
    c.pairs.update({("1", "1"): 60, ("1", "0"): 40, ("0", "1"): 40, ("0", "0"): 260})
    c.labeled = c.n = 400
    value, interval = slo_metric(model, c, "f1")
    assert value is not None and interval is not None
    assert value == pytest.approx(0.6)
    assert interval[0] < value < interval[1]
    # Point below, interval straddling: a warning; whole interval below: critical.
    assert _slo_status(Slo(metric="f1", min=value + 0.01), value, interval) == "warning"
    assert _slo_status(Slo(metric="f1", min=interval[1] + 0.01), value, interval) == "critical"
    assert _slo_status(Slo(metric="f1", min=value - 0.01), value, interval) == "pass"
    # The same for an upper bound on a lower-is-better metric.
    fpr, fpr_interval = slo_metric(model, c, "fpr")
    assert fpr is not None and fpr_interval is not None
    assert _slo_status(Slo(metric="fpr", max=fpr - 0.005), fpr, fpr_interval) == "warning"
    assert (
        _slo_status(Slo(metric="fpr", max=fpr_interval[0] - 0.01), fpr, fpr_interval) == "critical"
    )


def test_slo_intervals_of_multiclass_f1_come_from_a_bootstrap() -> None:
    model = Model(task="multiclass")
    c = Counts()
    c.pairs.update({("a", "a"): 50, ("a", "b"): 10, ("b", "b"): 30, ("b", "a"): 10, ("c", "c"): 5})
    c.labeled = c.n = 105
    for metric in ("macro_f1", "weighted_f1"):
        value, interval = slo_metric(model, c, metric)
        assert value is not None and interval is not None
        assert interval[0] < value < interval[1]


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    out: np.ndarray = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return out


@pytest.mark.parametrize(
    ("seed", "probs"),
    [
        (0, (0.3, 0.1, 0.1, 0.5)),
        (1, (0.05, 0.1, 0.05, 0.8)),  # a rare positive class
        (2, (0.4, 0.02, 0.05, 0.53)),  # F1 near 0.9
        (3, (0.1, 0.3, 0.2, 0.4)),  # a poor model
    ],
)
def test_f1_interval_covers_and_agrees_with_a_bootstrap(
    seed: int, probs: tuple[float, float, float, float]
) -> None:
    rng = np.random.default_rng(seed)  # cells: tp, fp, fn, tn
    true_f1 = 2 * probs[0] / (2 * probs[0] + probs[1] + probs[2])
    n = int(rng.integers(150, 600))
    samples = rng.multinomial(n, probs, size=600)
    covered = 0
    for tp, fp, fn, _tn in samples:
        interval = f1_interval(float(tp), float(fp), float(fn))
        assert interval is not None
        covered += interval[0] <= true_f1 <= interval[1]
    assert 0.92 <= covered / len(samples) <= 0.98
    # One sample: the interval is close to a percentile bootstrap of it.
    tp, fp, fn, tn = samples[0]
    draws = rng.multinomial(n, np.array([tp, fp, fn, tn]) / n, size=4000)
    boot = _f1(draws[:, 0], draws[:, 1], draws[:, 2])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    interval = f1_interval(float(tp), float(fp), float(fn))
    assert interval is not None
    width = hi - lo
    assert interval[0] == pytest.approx(lo, abs=0.15 * width)
    assert interval[1] == pytest.approx(hi, abs=0.15 * width)
    assert f1_interval(0, 0, 0) is None


@pytest.mark.parametrize("seed", range(8))
def test_mape_and_r2_match_sklearn(seed: int) -> None:
    # weighted_f1 has its oracle beside the other multiclass metrics (test_metrics.py).
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    yr = rng.normal(5, 3, n)
    yr[rng.random(n) < 0.2] = 0.0
    pr = yr + rng.normal(0, 1, n)
    e = pr - yr
    keep = yr != 0
    ape = np.abs(e[keep]) / np.abs(yr[keep])
    sums = LabelSums(
        float(yr.sum()),
        float((yr**2).sum()),
        float(ape.sum()),
        float((ape**2).sum()),
        float(keep.sum()),
    )
    reg = regression_metrics(n, float(np.abs(e).sum()), float((e**2).sum()), float(e.sum()), sums)
    if keep.any():
        assert reg["mape"] == pytest.approx(skm.mean_absolute_percentage_error(yr[keep], pr[keep]))
    else:
        assert reg["mape"] is None
    if n > 1 and np.var(yr) > 0:
        assert reg["r2"] == pytest.approx(skm.r2_score(yr, pr), rel=1e-6, abs=1e-9)


def test_new_metrics_edge_cases() -> None:
    # Nothing labelled, all labels zero, constant labels, a single class.
    assert regression_metrics(0, 0, 0, 0, LabelSums())["mape"] is None
    zeros = regression_metrics(3, 3.0, 3.0, 3.0, LabelSums(0, 0, 0, 0, 0))
    assert zeros["mape"] is None and zeros["r2"] is None
    constant = regression_metrics(4, 4.0, 4.0, 0.0, LabelSums(20.0, 100.0, 0.8, 0.16, 4))
    assert constant["r2"] is None  # labels do not vary: no R² to measure
    assert constant["mape"] == pytest.approx(0.2)
    single = multiclass_metrics({"a": (10.0, 0.0, 0.0)}, 10.0, 10.0)
    assert single["weighted_f1"] == 1.0 == skm.f1_score(["a"] * 10, ["a"] * 10, average="weighted")
    assert multiclass_metrics({}, 0, 0)["weighted_f1"] is None
    model = Model(task="binary", positive="1")
    one_class = Counts()
    one_class.pairs.update({("1", "0"): 30, ("0", "0"): 70})
    one_class.labeled = one_class.n = 100
    assert slo_metric(model, one_class, "auc") == (None, None)  # no exact AUC filled in
    assert slo_metric(model, one_class, "recall")[0] is None


# ---------------------------------------------------------------- label delay per slice

DELAY_CONFIG = """\
store: store.duckdb
models:
  lab:
    task: binary
    positive: "1"
    slices: [city]
    labels: {expected_delay: 1d, min_fraction: 0.8}
checks:
  window: 1d
"""
CITIES = [f"c{i}" for i in range(6)]


def test_label_delay_names_the_slice_and_does_not_flood(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "oncall.yaml").write_text(DELAY_CONFIG)
    rng = np.random.default_rng(3)
    frames, labels = [], []
    for day in range(5):
        n = 600
        city = np.array([CITIES[i % 6] for i in range(n)] + ["tiny"] * 10)
        score = rng.random(n + 10)
        f = _frame(n + 10, day, rng, np.where(score >= 0.5, "1", "0"), score=score, city=city)
        keep = np.ones(n + 10, dtype=bool)
        if day == 1:
            keep &= city != "c0"  # one city's labels stop
        if day == 3:
            keep[:] = False  # every label stops
        if day == 4:
            # Half the labels come everywhere, none in one city: worse than the whole.
            keep &= (rng.random(n + 10) < 0.5) & (city != "c0")
        frames.append(f)
        labels.append(_labels(f.filter(pl.Series(keep)), np.where(score[keep] > 0.5, "1", "0")))
    _ingest(capsys, tmp_path, "lab", pl.concat(frames), pl.concat(labels))
    out = _check(capsys, tmp_path, START + 7 * DAY)
    delay = [r for r in out["results"] if r["kind"] == "label_delay"]
    by = {(r["window_start"][:10], json.dumps(r["slice"])): r for r in delay}

    def at(day: int, city: str | None) -> dict[str, Any]:
        found: dict[str, Any] = by[
            ((START + day * DAY).date().isoformat(), json.dumps({"city": city} if city else None))
        ]
        return found

    # Day 2: the city whose labels stopped fails on its own; the rest pass.
    assert at(1, None)["status"] == "pass"
    assert at(1, "c0")["status"] == "critical"
    assert at(1, "c0")["value"] == 0.0
    assert all(at(1, c)["status"] == "pass" for c in CITIES[1:])
    # Day 4: the whole model fails; the slices are covered by it, not alerts of their own.
    assert at(3, None)["status"] == "critical"
    assert all(at(3, c)["status"] == "covered" for c in CITIES)
    # Day 5: the whole model fails, and one city clearly worse than it keeps its own.
    assert at(4, None)["status"] == "warning"
    assert at(4, "c0")["status"] == "critical"
    assert all(at(4, c)["status"] == "covered" for c in CITIES[1:])
    # Too few rows to judge, every day.
    assert all(at(d, "tiny")["status"] == "insufficient" for d in range(5))
    assert at(0, "c1")["value"] == pytest.approx(1.0)
    alerts = _query(tmp_path, "SELECT slice FROM alerts WHERE kind = 'label_delay' ORDER BY slice")
    assert sorted(str(a[0]) for a in alerts) == sorted(['{"city":"c0"}', "None"])


# ---------------------------------------------------------------- never judged

NEVER_CONFIG = """\
store: store.duckdb
models:
  support:
    task: binary
    positive: "1"
    features:
      x: {type: numeric}
    labels: {expected_delay: 1d}
    slos:
      - {metric: f1, min: 0.5, window: 1d, min_labeled: 5000}
    checks:
      drift: {window: 1d, min_support: 500}
checks:
  window: 1d
"""


def _support_day(day: int, n: int, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    score = rng.random(n)
    f = _frame(n, day, rng, np.where(score >= 0.5, "1", "0"), score=score, x=rng.normal(0, 1, n))
    f = f.with_columns(pl.col("prediction_id") + "-" + str(n))
    return f, _labels(f, np.where(rng.random(n) < score, "1", "0"))


def _support_world(
    capsys: pytest.CaptureFixture[str], folder: Path, per_day: int, seed: int
) -> np.random.Generator:
    """Six days of the support model, ``per_day`` predictions a day, all labelled;
    returns the generator, to draw later days from."""
    (folder / "oncall.yaml").write_text(NEVER_CONFIG)
    rng = np.random.default_rng(seed)
    days = [_support_day(d, per_day, rng) for d in range(6)]
    preds = pl.concat([p for p, _ in days])
    _ingest(capsys, folder, "support", preds, pl.concat([lb for _, lb in days]))
    return rng


def _never(folder: Path) -> list[tuple[Any, ...]]:
    return _query(
        folder,
        "SELECT check_name, state, detail, resolved_by FROM alerts "
        "WHERE kind = 'never_judged' ORDER BY check_name",
    )


def test_a_check_that_can_never_fire_says_so_once_and_resolves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = _support_world(capsys, tmp_path, 165, 8)
    out = _check(capsys, tmp_path, START + 6 * DAY)
    found = {a[0]: a for a in _never(tmp_path)}
    assert set(found) == {"never_judged:drift", "never_judged:score_drift", "never_judged:slo:f1"}
    drift = json.loads(found["never_judged:drift"][2])
    assert drift["message"] == (
        "drift on model support has been insufficient for all 6 windows (about 165 rows "
        "per 1d window, min_support 500); lower models.support.checks.drift.min_support "
        "or widen checks.drift.window"
    )
    slo = json.loads(found["never_judged:slo:f1"][2])
    assert "models.support.slos[0].min_labeled" in slo["message"]
    assert "min_labeled 5000" in slo["message"]
    assert all(a[1] == "open" for a in found.values())
    firing = {a["check"]: a for a in out["firing"] if a["kind"] == "never_judged"}
    assert firing["never_judged:drift"]["severity"] == "warning"
    assert firing["never_judged:drift"]["detail"]["setting"].startswith("lower models.support")
    # Its type takes a runbook note like any other alert's.
    note = ("support/never_judged", "--text", "lower min_support on quiet models")
    r = cli(
        capsys, "--config", tmp_path / "oncall.yaml", "--as", "alice", "alerts", "runbook", *note
    )
    assert r.code == 0, r.err
    # Checking again (and a day later) does not raise it again.
    _check(capsys, tmp_path, START + 6 * DAY)
    more = [_support_day(6, 165, rng)]
    _ingest(capsys, tmp_path, "support", more[0][0], more[0][1], tag="b")
    _check(capsys, tmp_path, START + 7 * DAY + timedelta(hours=1))
    assert len(_never(tmp_path)) == 3
    # Enough rows come: drift is judged, and its finding resolves; the SLO's stays.
    big = _support_day(7, 900, rng)
    _ingest(capsys, tmp_path, "support", big[0], big[1], tag="c")
    out = _check(capsys, tmp_path, START + 8 * DAY + timedelta(hours=1))
    after = {a[0]: a for a in _never(tmp_path)}
    assert len(after) == 3
    assert after["never_judged:drift"][1] == "resolved"
    assert after["never_judged:drift"][3] == "oncall"
    assert after["never_judged:slo:f1"][1] == "open"
    firing_now = {a["check"] for a in out["firing"] if a["kind"] == "never_judged"}
    assert "never_judged:drift" not in firing_now


def test_never_judged_waits_for_its_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "oncall.yaml").write_text(
        NEVER_CONFIG.replace("  window: 1d\n", "  window: 1d\n  never_judged_after: 30d\n")
    )
    rng = np.random.default_rng(9)
    days = [_support_day(d, 165, rng) for d in range(6)]
    _ingest(
        capsys,
        tmp_path,
        "support",
        pl.concat([p for p, _ in days]),
        pl.concat([lb for _, lb in days]),
    )
    _check(capsys, tmp_path, START + 6 * DAY)
    assert _never(tmp_path) == []
    bad = NEVER_CONFIG.replace("  window: 1d\n", "  window: 1d\n  never_judged_after: soon\n")
    (tmp_path / "oncall.yaml").write_text(bad)
    r = cli(capsys, "--config", tmp_path / "oncall.yaml", "check")
    assert r.code == 2
    assert "checks.never_judged_after" in r.err
    assert "Traceback" not in r.err


def test_slice_views_refuse_the_checks_only_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    price = pl.DataFrame(
        {
            "prediction_id": ["a", "b"],
            "ts": [START, START + timedelta(hours=1)],
            "prediction": [1.0, 2.0],
            "city": ["x", "y"],
            "rooms": [2.0, 3.0],
        }
    )
    _ingest(capsys, tmp_path, "price", price, None)
    for metric in CHECKS_ONLY_METRICS:
        r = cli(
            capsys, "--config", config, "slices", "metrics", "--model", "price", "--metric", metric
        )
        assert r.code == 2, r.err
        assert metric in r.err and "Traceback" not in r.err


def test_a_multiclass_f1_interval_is_drawn_only_when_it_decides_the_severity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bootstrap is the costly part of an SLO window: a passing window skips it."""
    from tui.core.checks import labelled

    model = Model.model_validate({"task": "multiclass"})
    counts = Counts(n=300, labeled=300)
    for p, y, n in (("a", "a", 90), ("b", "b", 80), ("c", "c", 70), ("a", "b", 30), ("c", "a", 30)):
        counts.pairs[(p, y)] += n
    drawn: list[str] = []
    real = labelled._multiclass_interval

    def counting(o: Counts, metric: str) -> tuple[float, float] | None:
        drawn.append(metric)
        return real(o, metric)

    monkeypatch.setattr(labelled, "_multiclass_interval", counting)
    value, interval = labelled.slo_metric(
        model, counts, "macro_f1", Slo(metric="macro_f1", min=0.5)
    )
    assert value is not None and value > 0.5 and interval is None and drawn == []
    value, interval = labelled.slo_metric(
        model, counts, "macro_f1", Slo(metric="macro_f1", min=0.99)
    )
    assert value is not None and interval is not None and drawn == ["macro_f1"]
    assert interval[0] <= value <= interval[1]


def test_only_the_kinds_a_run_left_unjudged_are_read_from_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 800 rows a day: drift and score drift are judged, the F1 SLO (5,000 labels) never.
    # Reading every stored result of every check at each run made a check's cost grow
    # with the history; a kind judged in the run is not read.
    _support_world(capsys, tmp_path, 800, 9)
    read: list[list[str]] = []
    real = fetch_rows

    def spy(con: Any, name: str, params: Any = None, **fragments: Any) -> Any:
        if name == "checks_never_judged":
            read.append(list(params["kinds"]))
        return real(con, name, params, **fragments)

    monkeypatch.setattr(never_judged, "fetch_rows", spy)
    _check(capsys, tmp_path, START + 6 * DAY)
    # Volume waits for a week of history: unjudged too, so read.
    assert read == [["slo", "volume"]]
    found = {a[0] for a in _never(tmp_path)}
    assert found == {"never_judged:slo:f1"}


def test_slos_and_the_offline_gap_share_one_read_of_their_windows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SLOs and the offline gap judge the same windows' outcomes: one read (and one
    AUC read) serves both, and each comes out as when read on its own."""
    from tui.core.checks import labelled

    (tmp_path / "oncall.yaml").write_text(
        """\
store: store.duckdb
models:
  b:
    task: binary
    positive: "1"
    slices: [city]
    labels: {expected_delay: 1d}
    offline: {auc: 0.7, f1: 0.7}
    slos:
      - {metric: auc, min: 0.5, window: 1d, min_labeled: 50}
      - {metric: f1, min: 0.5, window: 1d, min_labeled: 50, by: city}
checks:
  window: 1d
  offline_gap: {window: 1d, min_labeled: 50}
"""
    )
    rng = np.random.default_rng(5)
    preds, labels = [], []
    for day in range(2):
        n = 700
        score = np.round(rng.random(n), 2)
        y = np.where(rng.random(n) < score, "1", "0")
        city = rng.choice(["x", "y"], n)
        p = _frame(n, day, rng, np.where(score >= 0.5, "1", "0"), score=score, city=city)
        preds.append(p)
        labels.append(_labels(p, y))
    _ingest(capsys, tmp_path, "b", pl.concat(preds), pl.concat(labels))
    reads: list[tuple[str, list[str]]] = []
    from tui.core.slices import outcomes as shared_outcomes

    real_outcomes, real_auc = shared_outcomes.window_outcomes, labelled._fill_auc

    def outcomes_spy(con: Any, model: str, columns: list[str], *a: Any, **k: Any) -> Any:
        reads.append(("outcomes", list(columns)))
        return real_outcomes(con, model, columns, *a, **k)

    def auc_spy(ctx: Any, span: Any, columns: list[str], outcomes: Any) -> None:
        reads.append(("auc", list(columns)))
        real_auc(ctx, span, columns, outcomes)

    monkeypatch.setattr(labelled, "window_outcomes", outcomes_spy)
    monkeypatch.setattr(labelled, "_fill_auc", auc_spy)
    out = _check(capsys, tmp_path, START + 4 * DAY)
    # The SLOs read first (with their `by:` column); the gap reuses it.
    assert reads == [("outcomes", ["city"]), ("auc", ["city"])]
    results = {
        (r["check"], r["window_start"][:10], json.dumps(r["slice"])): r for r in out["results"]
    }
    for day in range(2):
        w = (START + day * DAY).date().isoformat()
        part = pl.concat(preds).filter(pl.col("ts").dt.date() == (START + day * DAY).date())
        truth = pl.concat(labels).join(part, on="prediction_id")
        positive = (truth["label"] == "1").to_numpy()
        expected = skm.roc_auc_score(positive, truth["score"].to_numpy())
        assert results[("slo:auc", w, "null")]["value"] == pytest.approx(expected, rel=1e-9)
        gap = results[("offline_gap:auc", w, "null")]
        assert gap["detail"]["online"] == pytest.approx(expected, rel=1e-9)
        assert gap["detail"]["labeled"] == len(truth)
        for name in ("x", "y"):
            one = truth.filter(pl.col("city") == name)
            f1 = skm.f1_score(one["label"] == "1", one["prediction"] == "1")
            slo = results[("slo:f1:by=city", w, json.dumps({"city": name}))]
            assert slo["value"] == pytest.approx(f1, rel=1e-9)
