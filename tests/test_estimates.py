"""Estimated performance before labels arrive, against oracles on synthetic data.

Every generator here knows the truth: the labels of the days whose labels are held
back are drawn (and scored with scikit-learn) but never ingested, so the estimate is
compared with what the labels will say. Binary: perfectly calibrated scores give the
expected confusion matrix exactly; a planted miscalibration throws the raw estimate
off and the calibrated one stays right. Multiclass and regression likewise. An
`estimated_f1` SLO fires on a planted drop before any label of that window exists,
and records whether it was right once they arrive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm
from sklearn.isotonic import IsotonicRegression

from tests.helpers import cli
from tui.core.checks.estimated import fitted_estimate
from tui.core.config.settings import load_config
from tui.core.ingest.load import ingest_file
from tui.core.monitor.run import run_checks
from tui.core.slices.calibration import fit_calibration
from tui.core.slices.estimates import SCORE_BINS, EstimateReport, estimate
from tui.core.slices.request import Request
from tui.core.store.connection import Store

START = datetime(2026, 11, 1)
DAYS = 10
LABELLED_DAYS = 4  # labels of the first days arrive; the rest are held back
NOW = START + timedelta(days=DAYS, hours=1)
PER_DAY = 3000

CONFIG = """\
store: store.duckdb
models:
  cal:
    task: binary
    positive: "1"
    slices: [seg]
    baseline: {file: cal-ref.parquet}
    estimates: {calibration: none}
  mis:
    task: binary
    positive: "1"
    slices: [seg]
    baseline: {file: mis-ref.parquet}
  mis_raw:
    task: binary
    positive: "1"
    slices: [seg]
    baseline: {file: mis-ref.parquet}
    estimates: {calibration: none}
  mis_binned:
    task: binary
    positive: "1"
    slices: [seg]
    baseline: {file: mis-ref.parquet}
    estimates: {calibration: binned}
  multi:
    task: multiclass
    classes: [a, b, c]
    slices: [seg]
    baseline: {file: multi-ref.parquet}
  multi_raw:
    task: multiclass
    classes: [a, b, c]
    slices: [seg]
    baseline: {file: multi-ref.parquet}
    estimates: {calibration: none}
  reg:
    task: regression
    slices: [seg]
    features:
      x: {type: numeric}
      kind: {type: categorical}
    baseline: {file: reg-ref.parquet}
"""


def _times(rng: np.random.Generator, day: int, n: int) -> list[datetime]:
    base = START + timedelta(days=day)
    return [base + timedelta(seconds=int(s)) for s in rng.integers(0, 86400, n)]


def _binary_day(
    rng: np.random.Generator, n: int, truth: Any, ids: str, day: int
) -> tuple[pl.DataFrame, np.ndarray]:
    """n rows of raw scores whose true positive rate is ``truth(score)``."""
    score = np.round(rng.beta(2, 3, n), 3)  # rounded: ties
    y = (rng.random(n) < truth(score)).astype(int).astype(str)
    frame = pl.DataFrame(
        {
            "prediction_id": [f"{ids}-{day}-{i}" for i in range(n)],
            "ts": _times(rng, max(day, 0), n),
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "seg": rng.choice(["s1", "s2"], n),
        }
    )
    return frame, y


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def _multi_day(
    rng: np.random.Generator, n: int, ids: str, day: int
) -> tuple[pl.DataFrame, np.ndarray]:
    """Scores that are overconfident: the truth is the softmax at a higher temperature."""
    logits = rng.normal(0, 1.6, (n, 3))
    scores = np.round(_softmax(logits), 6)
    scores[:, 2] = 1 - scores[:, 0] - scores[:, 1]
    truth = _softmax(logits / 2.5)
    u = rng.random(n)[:, None]
    y = np.asarray(["a", "b", "c"])[(u > truth.cumsum(axis=1)).sum(axis=1).clip(0, 2)]
    frame = pl.DataFrame(
        {
            "prediction_id": [f"{ids}-{day}-{i}" for i in range(n)],
            "ts": _times(rng, max(day, 0), n),
            "prediction": np.asarray(["a", "b", "c"])[scores.argmax(axis=1)],
            "score_a": scores[:, 0],
            "score_b": scores[:, 1],
            "score_c": scores[:, 2],
            "seg": rng.choice(["s1", "s2"], n),
        }
    )
    return frame, y


def _reg_day(
    rng: np.random.Generator, n: int, ids: str, day: int, wide: float = 0.3
) -> tuple[pl.DataFrame, np.ndarray]:
    """Errors whose spread grows with |x| and with kind "wide" (its share: ``wide``)."""
    x = rng.normal(0, 1, n)
    kind = rng.choice(["narrow", "wide"], n, p=[1 - wide, wide])
    pred = rng.normal(100, 10, n)
    sd = 1 + 2 * np.abs(x) + np.where(kind == "wide", 3, 0)
    y = pred + rng.normal(0, sd)
    frame = pl.DataFrame(
        {
            "prediction_id": [f"{ids}-{day}-{i}" for i in range(n)],
            "ts": _times(rng, max(day, 0), n),
            "prediction": np.round(pred, 4),
            "x": x,
            "kind": kind,
            "seg": rng.choice(["s1", "s2"], n),
        }
    )
    return frame, np.round(y, 4)


def _miscalibrated(score: np.ndarray) -> np.ndarray:
    out: np.ndarray = score**2.2
    return out


def _calibrated(score: np.ndarray) -> np.ndarray:
    return score


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The store: reference files with labels, ten days of predictions, labels of the
    first four days only; and every day's true labels, kept for the oracle."""
    folder = tmp_path_factory.mktemp("estimates")
    (folder / "oncall.yaml").write_text(CONFIG)
    rng = np.random.default_rng(15)
    truth: dict[str, list[pl.DataFrame]] = {}

    def build(name: str, day_of: Any) -> None:
        ref, y = day_of(-1, 8000)
        ref.with_columns(label=pl.Series(y)).write_parquet(folder / f"{name}-ref.parquet")
        days = []
        for d in range(DAYS):
            f, y = day_of(d, PER_DAY)
            days.append(f.with_columns(label=pl.Series(y), day=pl.lit(d)))
        truth[name] = days

    build("cal", lambda d, n: _binary_day(rng, n, _calibrated, "cal", d))
    build("mis", lambda d, n: _binary_day(rng, n, _miscalibrated, "mis", d))
    build("multi", lambda d, n: _multi_day(rng, n, "multi", d))
    build("reg", lambda d, n: _reg_day(rng, n, "reg", d, wide=0.3 if d < 5 else 0.7))
    settings = load_config(folder / "oncall.yaml")
    st = Store(settings.store_path)
    models = {"cal": "cal", "mis": "mis", "mis_raw": "mis", "mis_binned": "mis"}
    models |= {"multi": "multi", "multi_raw": "multi", "reg": "reg"}
    for model, source in models.items():
        whole = pl.concat(truth[source])
        whole.drop("label", "day").write_parquet(folder / f"{model}.parquet")
        labelled = whole.filter(pl.col("day") < LABELLED_DAYS).select(
            "prediction_id", "label", labeled_at=pl.col("ts") + pl.duration(hours=2)
        )
        labelled.write_csv(folder / f"{model}-labels.csv")
        preds, labels = folder / f"{model}.parquet", folder / f"{model}-labels.csv"
        ingest_file(st, settings, "predictions", model, preds, actor="t", now=NOW)
        ingest_file(st, settings, "labels", model, labels, actor="t", now=NOW)
    return folder, {k: pl.concat(v) for k, v in truth.items()}


def _report(
    folder: Path, model: str, every: timedelta | None = timedelta(days=1), by: str | None = None
) -> EstimateReport:
    settings = load_config(folder / "oncall.yaml")
    spec = settings.model(model)
    req = Request(model, spec, START, START + timedelta(days=DAYS), NOW)
    with Store(settings.store_path).read() as con:
        fitted = fitted_estimate(con, settings, model, NOW)
        return estimate(con, req, fitted, every=every, by=by)


def _day(truth: pl.DataFrame, d: int) -> pl.DataFrame:
    return truth.filter(pl.col("day") == d)


# ------------------------------------------------------------------ calibration maps


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_isotonic_map_matches_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random(500), 2)  # many ties
    y = rng.random(500) < scores**2
    ours = fit_calibration(scores, y, "isotonic")
    theirs = IsotonicRegression(out_of_bounds="clip").fit(scores, y.astype(float))
    probe = np.linspace(-0.1, 1.1, 301)
    assert np.allclose(ours(probe), theirs.predict(probe), atol=1e-12)


def test_binned_map_is_the_positive_rate_of_equal_count_bins() -> None:
    rng = np.random.default_rng(4)
    scores = rng.random(2000)
    y = rng.random(2000) < 0.3
    m = fit_calibration(scores, y, "binned")
    edges = np.quantile(scores, np.linspace(0, 1, 21)[1:-1])
    which = np.searchsorted(edges, scores, side="left")
    for b in range(20):
        assert m(scores[which == b]) == pytest.approx(y[which == b].mean())


def test_calibration_edge_cases() -> None:
    nothing = fit_calibration(np.zeros(0), np.zeros(0, dtype=bool), "isotonic")
    assert nothing.method == "none" and nothing(np.asarray([0.3]))[0] == 0.3
    # NaN scores are left out; one class only maps everything to that class's rate.
    scores = np.asarray([0.1, np.nan, 0.9, 0.5])
    single = fit_calibration(scores, np.asarray([False, True, False, False]), "isotonic")
    assert np.allclose(single(np.asarray([0.0, 0.5, 1.0])), 0.0)
    assert fit_calibration(scores, np.ones(4, dtype=bool), "binned")(np.asarray([0.7]))[0] == 1.0


# ------------------------------------------------------------------ binary


def test_calibrated_scores_give_the_expected_confusion_matrix(
    world: tuple[Path, dict[str, Any]],
) -> None:
    folder, truth = world
    report = _report(folder, "cal")
    assert len(report.rows) == DAYS
    for d, row in enumerate(report.rows):
        day = _day(truth["cal"], d)
        s = day["score"].to_numpy()
        pp = day["prediction"].to_numpy() == "1"
        tp, fp = s[pp].sum(), (1 - s[pp]).sum()
        fn, tn = s[~pp].sum(), (1 - s[~pp]).sum()
        assert row.n == PER_DAY
        assert row.estimated["precision"] == pytest.approx(tp / (tp + fp), rel=1e-9)
        assert row.estimated["recall"] == pytest.approx(tp / (tp + fn), rel=1e-9)
        assert row.estimated["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn), rel=1e-9)
        assert row.estimated["accuracy"] == pytest.approx((tp + tn) / PER_DAY, rel=1e-9)
        # The expected AUC: each row is a positive with weight p and a negative with 1-p,
        # at its score bin (ties within a bin count one half).
        b = np.minimum(np.floor(s * SCORE_BINS), SCORE_BINS - 1)
        expected_auc = skm.roc_auc_score(
            np.r_[np.ones(len(s)), np.zeros(len(s))], np.r_[b, b], sample_weight=np.r_[s, 1 - s]
        )
        assert row.estimated["auc"] == pytest.approx(expected_auc, rel=1e-9)
        # The realised F1 (from the true labels, held back or not) lands in the band.
        y = day["label"].to_numpy()
        realised = skm.f1_score(y, day["prediction"].to_numpy(), pos_label="1")
        band = row.band["f1"]
        assert band is not None and band[0] - 0.01 <= realised <= band[1] + 0.01
        if d < LABELLED_DAYS:
            assert row.realised["f1"] == pytest.approx(realised, rel=1e-9)
            assert row.labels_complete and row.n_labeled == PER_DAY
        else:
            assert row.realised["f1"] is None and not row.labels_complete
    assert report.verdict.judged and report.verdict.trustworthy


def test_band_width_matches_the_spread_of_simulated_outcomes(
    world: tuple[Path, dict[str, Any]],
) -> None:
    """The band is where 95% of realised F1s fall when labels are drawn from the
    calibrated scores: checked by drawing the labels 2000 times."""
    folder, truth = world
    row = _report(folder, "cal").rows[-1]
    day = _day(truth["cal"], DAYS - 1)
    s = day["score"].to_numpy()
    pp = day["prediction"].to_numpy() == "1"
    rng = np.random.default_rng(9)
    draws = rng.random((2000, len(s))) < s
    tp = (draws & pp).sum(axis=1)
    fp = (~draws & pp).sum(axis=1)
    fn = (draws & ~pp).sum(axis=1)
    f1 = 2 * tp / (2 * tp + fp + fn)
    lo, hi = np.percentile(f1, [2.5, 97.5])
    band = row.band["f1"]
    assert band is not None
    assert band[0] == pytest.approx(lo, abs=0.006) and band[1] == pytest.approx(hi, abs=0.006)


@pytest.mark.parametrize("model", ["mis", "mis_binned"])
def test_a_planted_miscalibration_is_corrected(
    world: tuple[Path, dict[str, Any]], model: str
) -> None:
    folder, truth = world
    raw = _report(folder, "mis_raw")
    calibrated = _report(folder, model)
    raw_errors, errors = [], []
    for d in range(LABELLED_DAYS, DAYS):
        day = _day(truth["mis"], d)
        y, p = day["label"].to_numpy(), day["prediction"].to_numpy()
        realised = {
            "f1": skm.f1_score(y, p, pos_label="1"),
            "accuracy": skm.accuracy_score(y, p),
            "auc": skm.roc_auc_score(y == "1", day["score"].to_numpy()),
        }
        for metric, value in realised.items():
            got = calibrated.rows[d].estimated[metric]
            assert got is not None and abs(got - value) < 0.03, (d, metric, got, value)
        raw_errors.append(abs((raw.rows[d].estimated["f1"] or 0) - realised["f1"]))
        errors.append(abs((calibrated.rows[d].estimated["f1"] or 0) - realised["f1"]))
    # Raw scores: off every day, several times more than the calibrated estimate.
    assert min(raw_errors) > 0.04 and np.mean(raw_errors) > 4 * np.mean(errors)
    assert max(errors) < 0.03
    assert not raw.verdict.trustworthy and raw.verdict.judged
    assert calibrated.verdict.trustworthy
    assert calibrated.fitted.to_json()["fitted_on"] == "the baseline file mis-ref.parquet"


def test_estimates_by_week_slice_and_whole_span_in_one_request(
    world: tuple[Path, dict[str, Any]],
) -> None:
    folder, truth = world
    week = _report(folder, "cal", every=timedelta(days=7))
    assert [r.n for r in week.rows] == [7 * PER_DAY, 3 * PER_DAY]
    whole = _report(folder, "cal", every=None)
    assert len(whole.rows) == 1 and whole.rows[0].n == DAYS * PER_DAY
    hourly = _report(folder, "cal", every=timedelta(hours=8))
    assert len(hourly.rows) == DAYS * 3 and sum(r.n for r in hourly.rows) == DAYS * PER_DAY
    by = _report(folder, "cal", every=None, by="seg")
    frame = truth["cal"]
    for row in by.rows:
        assert row.slice is not None
        part = frame.filter(pl.col("seg") == row.slice["seg"])
        s, pp = part["score"].to_numpy(), part["prediction"].to_numpy() == "1"
        tp, fp, fn = s[pp].sum(), (1 - s[pp]).sum(), s[~pp].sum()
        assert row.estimated["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn), rel=1e-9)
    assert sorted(r.group for r in by.rows) == ["seg=s1", "seg=s2"]
    daily_by = _report(folder, "cal", by="seg")
    assert len(daily_by.rows) == 2 * DAYS
    assert daily_by.rows[0].group == "2026-11-01 seg=s1"
    assert sum(r.n for r in daily_by.rows) == DAYS * PER_DAY


def test_no_labels_and_empty_windows_say_why(
    world: tuple[Path, dict[str, Any]],
) -> None:
    folder, _truth = world
    settings = load_config(folder / "oncall.yaml")
    spec = settings.model("cal")
    with Store(settings.store_path).read() as con:
        fitted = fitted_estimate(con, settings, "cal", NOW)
        # Only the unlabelled days: nothing to judge the estimate by.
        req = Request("cal", spec, START + timedelta(days=6), START + timedelta(days=DAYS), NOW)
        report = estimate(con, req, fitted)
        assert len(report.rows) == 4 and all(r.n_labeled == 0 for r in report.rows)
        assert not report.verdict.judged
        assert "no window has 200+ labels" in report.verdict.reason
        # A span with no rows at all.
        later = Request("cal", spec, NOW + timedelta(days=1), NOW + timedelta(days=3), NOW)
        assert estimate(con, later, fitted).rows == []


# ------------------------------------------------------------------ multiclass


def test_multiclass_estimates_macro_f1_and_accuracy(world: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = world
    raw = _report(folder, "multi_raw")
    calibrated = _report(folder, "multi")
    raw_err, err = [], []
    for d in range(LABELLED_DAYS, DAYS):
        day = _day(truth["multi"], d)
        y, p = day["label"].to_numpy(), day["prediction"].to_numpy()
        realised_acc = skm.accuracy_score(y, p)
        realised_f1 = skm.f1_score(y, p, average="macro")
        est = calibrated.rows[d].estimated
        assert est["accuracy"] == pytest.approx(realised_acc, abs=0.03)
        assert est["macro_f1"] == pytest.approx(realised_f1, abs=0.03)
        band = calibrated.rows[d].band["accuracy"]
        assert band is not None and band[0] - 0.01 <= realised_acc <= band[1] + 0.01
        raw_err.append(abs((raw.rows[d].estimated["accuracy"] or 0) - realised_acc))
        err.append(abs((est["accuracy"] or 0) - realised_acc))
    assert min(raw_err) > 0.08 and max(err) < 0.03
    # Realised on the labelled days, as scikit-learn says.
    for d in range(LABELLED_DAYS):
        day = _day(truth["multi"], d)
        y, p = day["label"].to_numpy(), day["prediction"].to_numpy()
        assert calibrated.rows[d].realised["macro_f1"] == pytest.approx(
            skm.f1_score(y, p, average="macro"), rel=1e-9
        )


# ------------------------------------------------------------------ regression


def test_direct_loss_estimation_tracks_mae_and_rmse(world: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = world
    report = _report(folder, "reg")
    inside = 0
    for d in range(DAYS):
        day = _day(truth["reg"], d)
        y = day["label"].to_numpy()
        p = day["prediction"].cast(float).to_numpy()
        mae = skm.mean_absolute_error(y, p)
        rmse = skm.root_mean_squared_error(y, p)
        row = report.rows[d]
        assert row.estimated["mae"] == pytest.approx(mae, rel=0.06), d
        assert row.estimated["rmse"] == pytest.approx(rmse, rel=0.08), d
        band = row.band["mae"]
        assert band is not None
        inside += band[0] <= mae <= band[1]
        if d < LABELLED_DAYS:
            assert row.realised["mae"] == pytest.approx(mae, rel=1e-9)
    # The band is the sampling error of a window's MAE; the loss model's own error
    # comes on top, so most windows, not all, hold the realised value.
    assert inside >= DAYS // 2
    # The planted shift (more wide rows from day 5) raises the error, and the estimate sees it.
    before = np.mean([r.estimated["mae"] or 0 for r in report.rows[:5]])
    after = np.mean([r.estimated["mae"] or 0 for r in report.rows[5:]])
    assert after > 1.25 * before


def test_regression_estimate_per_slice(world: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = world
    report = _report(folder, "reg", every=None, by="seg")
    for row in report.rows:
        assert row.slice is not None
        part = truth["reg"].filter(pl.col("seg") == row.slice["seg"])
        mae = skm.mean_absolute_error(part["label"], part["prediction"].cast(float))
        assert row.estimated["mae"] == pytest.approx(mae, rel=0.05)


def test_sklearn_is_not_imported_at_start_up() -> None:
    code = (
        "import sys\n"
        "from tui.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


# ------------------------------------------------------------------ the command


@pytest.mark.parametrize("fmt", ["table", "tsv", "csv", "json"])
def test_slices_estimate_in_every_format(
    world: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    folder, _truth = world
    args: list[str | Path] = [
        *("--config", folder / "oncall.yaml", "--now", NOW.isoformat()),
        *("slices", "estimate"),
    ]
    args += ["-m", "mis", "--since", START.isoformat(), "--until", "2026-11-11", "--format", fmt]
    result = cli(capsys, *args)
    assert result.code == 0, result.err
    if fmt == "json":
        report = result.json()
        assert report["kind"] == "estimate" and len(report["rows"]) == DAYS
        row = report["rows"][-1]
        assert set(row) >= {"estimated", "band", "realised", "labels_complete", "window_start"}
        assert report["calibration"]["method"] == "isotonic"
        assert report["calibration"]["trustworthy"] is True
        return
    if fmt in ("tsv", "csv"):
        sep = "\t" if fmt == "tsv" else ","
        lines = result.out.strip().splitlines()
        assert lines[0].split(sep)[:4] == ["window", "n", "labeled", "est f1"]
        assert len(lines) == DAYS + 1
        assert lines[-1].split(sep)[-1] == "incomplete"
    else:
        assert "est f1" in result.out and "incomplete" in result.out
    assert "isotonic calibration fitted on 8,000 labelled rows" in result.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--every", "soon"], "--every: expected a duration"),
        (["--metric", "bias"], "metric 'bias' is not one of"),
        (["--by", "nope"], "nope"),
    ],
)
def test_slices_estimate_refuses_bad_options(
    world: tuple[Path, dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    folder, _truth = world
    args: list[str | Path] = [
        *("--config", folder / "oncall.yaml", "--now", NOW.isoformat()),
        *("slices", "estimate"),
    ]
    result = cli(capsys, *args, "-m", "mis", *extra)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_slices_estimate_json_is_the_report(
    world: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _truth = world
    args: list[str | Path] = [
        *("--config", folder / "oncall.yaml", "--now", NOW.isoformat()),
        *("slices", "estimate"),
    ]
    result = cli(capsys, *args, "-m", "reg", "--every", "all", "--by", "seg", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [r["slice"] for r in report["rows"]] == [{"seg": "s1"}, {"seg": "s2"}]
    assert set(report["rows"][0]["estimated"]) == {"mae", "rmse"}


# ------------------------------------------------------------------ alerts on estimates

SLO_CONFIG = """\
store: store.duckdb
models:
  fraud:
    task: binary
    positive: "1"
    slices: [seg]
    baseline: {file: ref.parquet}
    labels: {expected_delay: 2d}
    slos:
      - {metric: estimated_f1, min: 0.75, window: 1d, min_labeled: 500}
"""


def _confident_day(rng: np.random.Generator, d: int, n: int, drop: bool) -> pl.DataFrame:
    """Calibrated scores; on a planted drop they crowd around 0.5, and F1 falls."""
    score = np.round(rng.beta(3, 3, n) if drop else rng.beta(0.4, 0.6, n), 4)
    y = (rng.random(n) < score).astype(int).astype(str)
    frame, _ = _binary_day(rng, n, _calibrated, "fraud", d)
    return frame.with_columns(
        score=pl.Series(score),
        prediction=pl.Series(np.where(score >= 0.5, "1", "0")),
        label=pl.Series(y),
        day=pl.lit(d),
    )


def test_an_estimated_f1_slo_fires_before_any_label_and_learns_if_it_was_right(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.core.alerts import list_alerts

    (tmp_path / "oncall.yaml").write_text(SLO_CONFIG)
    rng = np.random.default_rng(3)
    ref = _confident_day(rng, -1, 5000, drop=False)
    ref.drop("day").write_parquet(tmp_path / "ref.parquet")
    days = pl.concat([_confident_day(rng, d, 2000, drop=d >= 6) for d in range(8)])
    days.drop("label", "day").write_parquet(tmp_path / "preds.parquet")
    early = days.filter(pl.col("day") < 5)
    late = days.filter(pl.col("day") >= 5)
    label_cols = ["prediction_id", "label"]
    early.select(*label_cols, labeled_at=pl.col("ts") + pl.duration(hours=6)).write_csv(
        tmp_path / "early.csv"
    )
    first_now = START + timedelta(days=8, hours=1)
    late.select(*label_cols, labeled_at=pl.lit(first_now + timedelta(hours=5))).write_csv(
        tmp_path / "late.csv"
    )
    settings = load_config(tmp_path / "oncall.yaml")
    st = Store(settings.store_path)
    ingest_file(
        st, settings, "predictions", "fraud", tmp_path / "preds.parquet", actor="t", now=first_now
    )
    ingest_file(st, settings, "labels", "fraud", tmp_path / "early.csv", actor="t", now=first_now)
    run_checks(st, settings, first_now)
    alerts = list_alerts(st, first_now, kind="estimated_slo")
    assert len(alerts) == 1, [a.check for a in alerts]
    alert = alerts[0]
    assert alert.check == "slo:estimated_f1" and alert.first_seen == START + timedelta(days=7)
    assert alert.value is not None and alert.value < 0.75
    # Not a single label of the failing windows existed when it fired.
    assert alert.detail["labeled"] == 0 and "realised" not in alert.detail
    assert alert.detail["interval"][1] < 0.75 and alert.severity == "critical"
    # The labelled SLO kind says nothing yet: the estimate came first.
    assert not list_alerts(st, first_now, kind="slo")

    later = first_now + timedelta(days=1)
    ingest_file(st, settings, "labels", "fraud", tmp_path / "late.csv", actor="t", now=later)
    run_checks(st, settings, later)
    after = list_alerts(st, later, status="all", kind="estimated_slo")
    assert len(after) == 1
    detail = after[0].detail
    day7 = days.filter(pl.col("day") == 7)
    realised = skm.f1_score(day7["label"], day7["prediction"], pos_label="1")
    assert detail["realised"] == pytest.approx(realised, rel=1e-9)
    assert detail["estimate_right"] is True
    record = after[0].track_record
    assert record is not None and (record.estimates_checked, record.estimates_right) == (1, 1)
    shown = cli(
        capsys,
        "--config",
        tmp_path / "oncall.yaml",
        "--now",
        later.isoformat(),
        "alerts",
        "show",
        str(after[0].id),
    )
    assert shown.code == 0, shown.err
    assert "estimates of this type checked against the labels since: 1 of 1 right" in shown.out


# ------------------------------------------------------------------ the app


async def test_the_slices_plot_shows_the_estimate_band_and_incomplete_labels(
    world: tuple[Path, dict[str, Any]],
) -> None:
    from tui.app.main import OncallApp
    from tui.app.panes import SliceExplorer
    from tui.app.widgets import SeriesPlot

    folder, truth = world
    settings = load_config(folder / "oncall.yaml")
    app = OncallApp.open(settings, "alice", NOW.isoformat(), poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        for _ in range(60):
            await pilot.pause()
            await app.workers.wait_for_complete()
            if app.query_one(SliceExplorer).rows:
                break
        await pilot.pause()
        explorer = app.query_one(SliceExplorer)
        assert explorer.model == "cal"
        plot = app.query_one("#slice-plot", SeriesPlot)
        names = [s.name for s in plot.series]
        assert names[:3] == ["accuracy (labels)", "accuracy (estimate)", "95% band"]
        estimated = plot.series[1].values
        low, high = plot.series[2].values, plot.series[3].values
        # The last 7 days up to now (from day 3, 01:00): day 3 alone labelled.
        since = NOW - timedelta(days=7)
        frame = truth["cal"]
        assert len(estimated) == 8 and estimated[-1] is None  # day 10: no rows yet
        for i, value in enumerate(estimated[:-1]):
            start = START + timedelta(days=DAYS - 7 + i)
            day = frame.filter(
                (pl.col("ts") >= max(start, since)) & (pl.col("ts") < start + timedelta(days=1))
            )
            s, pp = day["score"].to_numpy(), day["prediction"].to_numpy() == "1"
            expected = (s[pp].sum() + (1 - s[~pp]).sum()) / len(s)
            assert value == pytest.approx(expected, rel=1e-9)
            lo, hi = low[i], high[i]
            assert lo is not None and hi is not None and value is not None
            assert lo < value < hi
        realised = plot.series[0].values
        assert realised[0] is not None and all(v is None for v in realised[1:-1])
        assert plot.marks == [""] + ["incomplete"] * 6 + [""]
        assert "◌ labels incomplete" in str(plot.render())


# ------------------------------------------------------------------ multiclass contract

MULTI_CONFIG = """\
store: store.duckdb
models:
  animals:
    task: multiclass
    classes: [cat, dog, eel]
"""

GOOD_ROWS = [
    "prediction_id,ts,prediction,score_cat,score_dog,score_eel",
    "a1,2026-11-20T10:00:00Z,cat,0.7,0.2,0.1",
    "a2,2026-11-20T10:01:00Z,dog,0.1,0.85,0.05",
    "a3,2026-11-20T10:02:00Z,eel,,,",
]


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        (
            None,
            "a4,2026-11-20T10:03:00Z,cat,0.7,0.2,0.2",
            "line 5: column 'score_cat': "
            "expected scores score_cat, score_dog, score_eel summing to 1 (within 0.01), got '0.7'",
        ),
        (
            None,
            "a4,2026-11-20T10:03:00Z,cat,0.7,0.3,",
            "line 5: column 'score_cat': expected "
            "a score in every one of score_cat, score_dog, score_eel when any is given",
        ),
        (
            None,
            "a4,2026-11-20T10:03:00Z,cat,1.2,-0.1,-0.1",
            "line 5: column 'score_cat': expected a probability between 0 and 1, got '1.2'",
        ),
        (
            None,
            "a4,2026-11-20T10:03:00Z,cat,NaN,0.5,0.5",
            "line 5: column 'score_cat': expected a finite number (not NaN or infinite), got 'NaN'",
        ),
        (
            "prediction_id,ts,prediction,score_cat,score_dog",
            "a4,2026-11-20T10:03:00Z,cat,0.5,0.5",
            "per-class scores need one column per declared class of model 'animals'; "
            "missing score_eel",
        ),
        (
            "prediction_id,ts,prediction,score_cat,score_dog,score_eel,score_fox",
            "a4,2026-11-20T10:03:00Z,cat,0.5,0.5,0,0",
            "column 'score_fox' is not the score of a declared class of model 'animals'",
        ),
    ],
)
def test_per_class_scores_are_checked_at_ingest(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    header: str | None,
    row: str,
    message: str,
) -> None:
    (tmp_path / "oncall.yaml").write_text(MULTI_CONFIG)
    base = ["--config", str(tmp_path / "oncall.yaml"), "--now", "2026-11-21T00:00"]
    good = tmp_path / "good.csv"
    good.write_text("\n".join(GOOD_ROWS) + "\n")
    ok = cli(capsys, *base, "ingest", "predictions", "-m", "animals", str(good), "--json")
    assert ok.code == 0, ok.err
    bad = tmp_path / "bad.csv"
    lines = [header or GOOD_ROWS[0], *(r.replace("a", "b", 1) for r in GOOD_ROWS[1:]), row]
    if header is not None:
        lines = [header, row]
    bad.write_text("\n".join(lines) + "\n")
    result = cli(capsys, *base, "ingest", "predictions", "-m", "animals", str(bad))
    assert result.code == 2
    assert message in result.err, result.err
    assert "nothing was written" in result.err and "Traceback" not in result.err
    import duckdb

    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    try:
        stored = con.execute(
            "SELECT prediction_id, score_cat, score_dog, score_eel FROM predictions__animals "
            "ORDER BY prediction_id"
        ).fetchall()
    finally:
        con.close()
    assert stored == [("a1", 0.7, 0.2, 0.1), ("a2", 0.1, 0.85, 0.05), ("a3", None, None, None)]


@pytest.mark.parametrize(
    ("task", "metric", "ok"),
    [
        ("binary", "estimated_f1", True),
        ("binary", "estimated_auc", True),
        ("binary", "estimated_mae", False),
        ("multiclass", "estimated_macro_f1", True),
        ("regression", "estimated_rmse", True),
        ("regression", "estimated_bias", False),
    ],
)
def test_slos_name_the_estimated_metrics_of_their_task(
    tmp_path: Path, task: str, metric: str, ok: bool
) -> None:
    from tui.core.errors import ConfigError

    extra = {"binary": 'positive: "1"', "multiclass": "classes: [a, b]", "regression": ""}[task]
    (tmp_path / "oncall.yaml").write_text(
        f"store: s.duckdb\nmodels:\n  m:\n    task: {task}\n    {extra}\n"
        f"    slos: [{{metric: {metric}, min: 0.5}}]\n"
        "    estimates: {calibration: binned, fit_on: latest_labelled, fit_window: 3d}\n"
    )
    if ok:
        model = load_config(tmp_path / "oncall.yaml").model("m")
        assert model.estimates.fit_window == timedelta(days=3)
        return
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "oncall.yaml")
    assert f"SLO metric {metric!r} is not one of" in caught.value.message
    assert "estimated_" in caught.value.message


def test_latest_labelled_days_are_the_complete_ones(world: tuple[Path, dict[str, Any]]) -> None:
    from tui.core.checks.estimated import latest_labelled_window

    folder, _truth = world
    settings = load_config(folder / "oncall.yaml")
    model = settings.model("cal")
    with Store(settings.store_path).read() as con:
        # Labels of days 0-3 are in: the latest run of complete days, at most fit_window.
        assert latest_labelled_window(con, "cal", model, NOW) == (START, START + timedelta(days=4))
        short = model.model_copy(
            update={
                "estimates": model.estimates.model_copy(update={"fit_window": timedelta(days=2)})
            }
        )
        found = latest_labelled_window(con, "cal", short, NOW)
        assert found == (START + timedelta(days=2), START + timedelta(days=4))
        # Before any label was known: none.
        assert latest_labelled_window(con, "cal", model, START + timedelta(hours=1)) is None


def test_the_reference_loads_only_the_columns_the_fit_reads(
    world: tuple[Path, dict[str, Any]],
) -> None:
    """A classifier's fit reads score, label and version (and the class scores); only a
    regression's loss model reads the features, so only it loads them."""
    from tui.core.checks.estimated import _fit_columns, labelled_reference

    folder, _truth = world
    settings = load_config(folder / "oncall.yaml")
    with Store(settings.store_path).read() as con:
        multi = labelled_reference(con, settings, "multi", NOW).frame
        reg = labelled_reference(con, settings, "reg", NOW).frame
        binary = labelled_reference(con, settings, "mis", NOW).frame
    assert multi is not None and reg is not None and binary is not None
    assert {"score_a", "score_b", "score_c", "label", "model_version"} <= set(multi.columns)
    assert {"x", "kind", "prediction_value", "label_value"} <= set(reg.columns)
    assert {"score", "label", "model_version"} <= set(binary.columns)
    # A classifier that declares features still leaves them out of its reference.
    as_binary = settings.model("reg").model_copy(update={"task": "binary", "positive": "1"})
    assert as_binary.features and _fit_columns(as_binary) == []


async def test_the_slices_table_is_shown_before_the_estimate_arrives(
    world: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The estimate's fit runs in its own worker: the slices and the labelled metric are
    on screen while it is held back, and its band joins the plot when it is done."""
    import threading

    import tui.app.panes.slice_tables as tables
    from tui.app.main import OncallApp
    from tui.app.panes import SliceExplorer
    from tui.app.widgets import SeriesPlot

    release = threading.Event()
    real = tables.daily_estimate  # type: ignore[attr-defined]

    def held(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(30), "the test never released the estimate"
        return real(*args, **kwargs)

    monkeypatch.setattr(tables, "daily_estimate", held)
    folder, _truth = world
    settings = load_config(folder / "oncall.yaml")
    app = OncallApp.open(settings, "alice", NOW.isoformat(), poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        explorer = app.query_one(SliceExplorer)
        for _ in range(300):
            await pilot.pause(0.05)
            if explorer.rows:
                break
        plot = app.query_one("#slice-plot", SeriesPlot)
        assert explorer.rows and explorer.worst is not None
        assert [s.name for s in plot._series] == ["accuracy (labels)"]
        assert "estimate computing" in plot._caption
        release.set()
        for _ in range(300):
            await pilot.pause(0.05)
            if len(plot._series) > 1:
                break
        names = [s.name for s in plot._series]
        assert names[:3] == ["accuracy (labels)", "accuracy (estimate)", "95% band"]
        assert "estimate computing" not in plot._caption


def test_a_fit_on_millions_of_rows_reads_a_bounded_sample_as_accurate(tmp_path: Path) -> None:
    """Above MAX_FIT_ROWS rows a version's calibration is fitted on a seeded sample: the
    same map every time, within 0.05 of the map fitted on every row at any score and
    within 0.005 on a window's expected positive rate, and a small
    version keeps all its rows (its own map)."""
    from tui.core.slices.fitting import MAX_FIT_ROWS, Reference, fit

    rng = np.random.default_rng(3)
    n = MAX_FIT_ROWS * 3
    raw = rng.random(n)
    label = np.where(rng.random(n) < _calibrated(_miscalibrated(raw)), "1", "0")
    version = np.where(np.arange(n) < 500, "small", "big")
    frame = pl.DataFrame({"model_version": version, "score": raw, "label": label})
    (tmp_path / "oncall.yaml").write_text(CONFIG)
    spec = load_config(tmp_path / "oncall.yaml").model("mis")
    sampled = fit(spec, Reference("ref", frame))
    again = fit(spec, Reference("ref", frame))
    whole = {
        v: fit_calibration(raw[version == v], label[version == v] == "1", "isotonic")
        for v in ("big", "small")
    }
    grid = np.linspace(0.01, 0.99, 99)
    window = rng.random(20_000)  # what an estimate sums: calibrated scores of a window
    for v in ("big", "small"):
        got = sampled.calibration(v)(grid)
        assert np.array_equal(got, again.calibration(v)(grid))
        assert np.max(np.abs(got - whole[v](grid))) < 0.05
        mean = sampled.calibration(v)(window).mean()
        assert mean == pytest.approx(whole[v](window).mean(), abs=0.005)
    assert np.array_equal(sampled.calibration("small")(grid), whole["small"](grid))
