"""Drift methods (ks, wasserstein, chi2) and reference-derived thresholds, against scipy."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray
from scipy import stats

from tests.helpers import cli, write_config
from tui.core.checks.distances import (
    Bins,
    Reference,
    chi2_sf,
    distance,
    fixed_thresholds,
    method_for,
    thresholds_for,
    wants_reference,
)
from tui.core.config.drift_methods import DRIFT_DEFAULTS
from tui.core.config.settings import Model, load_config
from tui.core.errors import ConfigError
from tui.core.slices.metrics import jensen_shannon, psi
from tui.core.store.connection import Store

Floats = NDArray[np.float64]


def _edges(base: Floats, bins: int) -> Floats:
    # As the baseline does: quantile_cont at k/bins (linear, like numpy's default), deduped.
    return np.unique(np.quantile(base, np.arange(1, bins) / bins))


def _counts(edges: Floats, values: Floats) -> list[int]:
    # Bin k is [edge k-1, edge k): the number of edges at or below the value.
    found = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return [int(c) for c in found]


def _hist(base: Floats, bins: int) -> tuple[Bins, Floats]:
    edges = _edges(base, bins)
    return Bins(tuple(float(e) for e in edges), None, tuple(_counts(edges, base))), edges


def _value(method: str, hist: Bins, actual: list[int] | list[float]) -> float:
    value = distance(method, hist, actual).value
    assert value is not None
    return value


# --- KS -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_binned_ks_is_a_tight_lower_bound_of_scipys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 1, 20_000)
    window = rng.normal(rng.uniform(-1, 1), rng.uniform(0.7, 1.5), 3_000)
    exact = stats.ks_2samp(base, window).statistic
    for bins in (10, 100):
        hist, edges = _hist(base, bins)
        actual = _counts(edges, window)
        got = _value("ks", hist, actual)
        # Read at the edges only: never above the exact statistic, and short of it by
        # at most the largest share either sample has in one bin.
        largest = max(max(hist.counts) / len(base), max(actual) / len(window))
        assert got <= exact + 1e-12
        assert exact - got <= largest + 1e-12
    # With 100 quantile bins the estimate is within 0.01 of the exact statistic here.
    assert exact - got < 0.01


def test_binned_ks_is_exact_when_no_value_falls_inside_a_bin() -> None:
    # Integer data (ties everywhere) with edges between the integers: every value sits
    # on its own bin, so the edges see every jump of both distributions.
    rng = np.random.default_rng(7)
    base = rng.integers(0, 8, 5_000).astype(float)
    window = rng.choice(8, 700, p=[0.05, 0.1, 0.1, 0.2, 0.2, 0.15, 0.1, 0.1]).astype(float)
    edges = np.arange(0.5, 7.5, 1.0)
    hist = Bins(tuple(edges), None, tuple(_counts(edges, base)))
    got = _value("ks", hist, _counts(edges, window))
    assert got == pytest.approx(stats.ks_2samp(base, window).statistic, abs=1e-12)


# --- Wasserstein ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_binned_wasserstein_matches_scipy_on_clipped_values_per_iqr(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    scale = rng.uniform(0.01, 1000)  # the normalisation makes the unit irrelevant
    base = rng.gamma(3.0, 1.0, 20_000) * scale
    window = rng.gamma(3.0 + rng.uniform(-1, 2), 1.0, 4_000) * scale
    for bins, tolerance in ((100, 0.01), (10, 0.08)):
        hist, edges = _hist(base, bins)
        got = distance("wasserstein", hist, _counts(edges, window))
        lo, hi = edges[0], edges[-1]
        iqr = np.quantile(base, 0.75) - np.quantile(base, 0.25)
        exact = stats.wasserstein_distance(np.clip(base, lo, hi), np.clip(window, lo, hi)) / iqr
        assert got.value == pytest.approx(exact, rel=tolerance, abs=0.005)
        assert got.evidence["scale_kind"] == "iqr"
        assert got.evidence["scale"] == pytest.approx(iqr, rel=tolerance)


def test_wasserstein_of_a_point_mass_is_measured_in_bins() -> None:
    # One distinct baseline value: one edge, nothing to scale by. The distance is then
    # the share that crossed the edge (each bin one unit wide).
    hist = Bins((5.0,), None, (0, 1_000))
    got = distance("wasserstein", hist, [300, 700])
    assert got.evidence["scale_kind"] == "bins"
    assert got.value == pytest.approx(0.3)
    assert _value("wasserstein", hist, [0, 50]) == 0.0


def test_wasserstein_with_the_middle_half_on_one_value_uses_the_range() -> None:
    # 80% of the baseline at its top edge: the interquartile range is zero.
    hist = Bins((1.0, 2.0, 3.0), None, (10, 5, 5, 80))
    got = distance("wasserstein", hist, [10, 5, 5, 80])
    assert got.evidence["scale_kind"] == "range"
    assert got.value == 0.0


# --- chi2 -----------------------------------------------------------------------------


def _cramers_v(table: Floats) -> float:
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    return float(math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))


@pytest.mark.parametrize("seed", range(8))
def test_chi2_equals_scipy_on_the_contingency_table(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    k = int(rng.integers(2, 9))
    base_counts = rng.multinomial(int(rng.integers(1_000, 50_000)), rng.dirichlet(np.ones(k)))
    base_counts[base_counts == 0] = 1
    window = list(rng.multinomial(int(rng.integers(50, 5_000)), rng.dirichlet(np.ones(k))))
    unseen = int(rng.integers(0, 30)) if seed % 2 else 0
    hist = Bins(None, tuple(f"c{i}" for i in range(k)), tuple(int(c) for c in base_counts))
    got = distance("chi2", hist, [*window, unseen])
    table = np.array([[*base_counts, 0], [*window, unseen]], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    oracle = stats.chi2_contingency(table, correction=False)
    assert got.evidence["chi2"] == pytest.approx(oracle.statistic, rel=1e-9)
    assert got.evidence["dof"] == oracle.dof
    assert got.evidence["p_value"] == pytest.approx(oracle.pvalue, rel=1e-6, abs=1e-300)
    # The graded value: Cramér's V of the table with the baseline scaled to the window.
    n = sum(window) + unseen
    balanced = np.vstack([table[0] * n / table[0].sum(), table[1]])
    assert got.value == pytest.approx(_cramers_v(balanced), rel=1e-9)
    assert got.detail()["method"] == "chi2"


def test_cramers_v_does_not_grow_with_the_sample_size_but_the_p_value_shrinks() -> None:
    hist = Bins(None, ("a", "b"), (50_000, 50_000))
    small = distance("chi2", hist, [55, 45])
    large = distance("chi2", hist, [55_000, 45_000])
    assert small.value == pytest.approx(large.value or 0.0, rel=1e-9)
    # V² = Σ (q − p)² / (p + q) / 2 over the shares p (baseline) and q (window).
    assert small.value == pytest.approx(math.sqrt((0.05**2 / 1.05 + 0.05**2 / 0.95) / 2))
    assert small.evidence["p_value"] > 0.3 > 1e-100 > large.evidence["p_value"]


def test_chi2_edge_cases_single_category_and_disjoint() -> None:
    one = Bins(None, ("a",), (1_000,))
    same = distance("chi2", one, [400])
    assert (same.value, same.evidence["p_value"], same.evidence["dof"]) == (0.0, 1.0, 0)
    disjoint = distance("chi2", one, [0, 400])  # every window value unseen
    assert disjoint.value == pytest.approx(1.0)
    assert disjoint.evidence["p_value"] == pytest.approx(
        stats.chi2_contingency(np.array([[1000, 0], [0, 400]]), correction=False).pvalue
    )


@pytest.mark.parametrize(("x", "dof"), [(0.0, 1), (0.3, 1), (3.0, 2), (50.0, 30), (400.0, 99)])
def test_chi2_survival_matches_scipy(x: float, dof: int) -> None:
    assert chi2_sf(x, dof) == pytest.approx(float(stats.chi2.sf(x, dof)), rel=1e-9)


# --- every method ---------------------------------------------------------------------


NUMERIC = Bins((1.0, 2.0, 3.0), None, (10, 20, 30, 40))
CATEGORICAL = Bins(None, ("a", "b"), (60, 40))


@pytest.mark.parametrize(
    ("method", "hist", "actual"),
    [
        *((m, NUMERIC, [5.0, 10.0, 20.0, 10.0]) for m in ("psi", "js", "ks", "wasserstein")),
        *((m, CATEGORICAL, [10.0, 30.0, 5.0]) for m in ("psi", "js", "chi2")),
    ],
)
def test_empty_and_broken_windows_are_none_never_a_crash(
    method: str, hist: Bins, actual: list[float]
) -> None:
    assert distance(method, hist, [0.0] * len(actual)).value is None
    assert distance(method, Bins(hist.edges, hist.categories, (0,) * len(hist.counts)), actual)
    assert distance(method, hist, [math.nan, *actual[1:]]).value is None
    assert distance(method, hist, actual).value is not None
    assert distance(method, hist, list(hist.counts) + ([0.0] if hist.edges is None else []))


def test_psi_and_js_dispatch_to_the_existing_metrics() -> None:
    actual = [5.0, 10.0, 20.0, 10.0]
    assert _value("psi", NUMERIC, actual) == psi([10, 20, 30, 40], actual)
    assert _value("js", NUMERIC, actual) == jensen_shannon([10, 20, 30, 40], actual)
    assert _value("psi", CATEGORICAL, [1, 2, 3]) == psi([60, 40, 0], [1, 2, 3])


def test_a_method_on_the_wrong_kind_of_data_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        distance("chi2", NUMERIC, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="does not apply"):
        distance("ks", CATEGORICAL, [1, 2])
    with pytest.raises(ValueError, match="baseline bins"):
        distance("ks", NUMERIC, [1, 2])


def test_identical_distributions_measure_zero() -> None:
    same = [10.0, 20.0, 30.0, 40.0]
    for method in ("psi", "js", "ks", "wasserstein"):
        assert _value(method, NUMERIC, same) == pytest.approx(0.0, abs=1e-12)
    assert _value("chi2", CATEGORICAL, [30.0, 20.0]) == pytest.approx(0.0, abs=1e-12)


# --- config ---------------------------------------------------------------------------


CONFIG = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    features:
      x: {type: numeric, min: -100, max: 100}
      y: {type: numeric, drift: {method: wasserstein, crit: 0.9}}
      c: {type: categorical}
      d: {type: categorical, drift: {method: psi, warn: 0.02, crit: 0.05}}
    baseline: {start: 2026-11-01, end: 2026-11-07}
checks:
  window: 1d
  drift: {window: 1d, min_support: 100, metric: ks}
"""


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, text))
    return str(caught.value)


def test_methods_and_thresholds_resolve_per_feature(tmp_path: Path) -> None:
    model = load_config(write_config(tmp_path, CONFIG)).model("m")
    # metric: ks is the numeric default; categories keep psi.
    assert [method_for(model, f) for f in ("x", "y", "c", "d", "score")] == [
        "ks",
        "wasserstein",
        "psi",
        "psi",
        "ks",
    ]
    x, y, d = (fixed_thresholds(model, f) for f in ("x", "y", "d"))
    assert (x.warn, x.crit) == DRIFT_DEFAULTS["ks"]
    assert (y.warn, y.crit) == (DRIFT_DEFAULTS["wasserstein"][0], 0.9)
    assert (d.warn, d.crit) == (0.02, 0.05)
    both = CONFIG.replace("metric: ks", "numeric_method: wasserstein, categorical_method: chi2")
    model = load_config(write_config(tmp_path, both)).model("m")
    assert [method_for(model, f) for f in ("x", "c", "d")] == ["wasserstein", "chi2", "psi"]
    assert (fixed_thresholds(model, "c").warn, fixed_thresholds(model, "c").crit) == (0.15, 0.25)
    # warn and crit given in checks.drift apply to every method.
    given = CONFIG.replace("metric: ks", "metric: chi2, warn: 0.03, crit: 0.04")
    model = load_config(write_config(tmp_path, given)).model("m")
    assert method_for(model, "c") == "chi2" and method_for(model, "x") == "psi"
    assert (fixed_thresholds(model, "x").warn, fixed_thresholds(model, "c").crit) == (0.03, 0.04)
    # One feature may take thresholds from the reference while the rest stay fixed.
    own = CONFIG.replace("crit: 0.9}", "crit: 0.9, thresholds: reference}")
    model = load_config(write_config(tmp_path, own)).model("m")
    assert [wants_reference(model, f) for f in ("x", "y", "score")] == [False, True, False]


def test_a_method_that_does_not_fit_the_feature_names_the_key_path(tmp_path: Path) -> None:
    bad = CONFIG.replace("drift: {method: psi,", "drift: {method: ks,")
    message = _error(tmp_path, bad)
    assert "oncall.yaml:10: models.m.features.d: drift.method 'ks'" in message
    assert "categorical" in message
    message = _error(tmp_path, CONFIG.replace("metric: ks", "numeric_method: chi2"))
    assert "checks.drift.numeric_method" in message
    message = _error(tmp_path, CONFIG.replace("metric: ks", "metric: energy"))
    assert "checks.drift.metric" in message
    message = _error(tmp_path, CONFIG.replace("drift: {method: psi,", "drift: {method: psi, k: 1,"))
    assert "models.m.features.d.drift.k: unknown key" in message
    message = _error(tmp_path, CONFIG.replace("crit: 0.9", "crit: 0.9, thresholds: learned"))
    assert "models.m.features.y.drift.thresholds" in message
    # A warn above the method's default crit is caught, not silently inverted.
    message = _error(tmp_path, CONFIG.replace("metric: ks", "metric: ks, warn: 0.3"))
    assert "checks.drift: warn (0.3) is above crit (0.2)" in message


# --- reference-derived thresholds -----------------------------------------------------


REFERENCE_CONFIG = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    features:
      x: {type: numeric}
      c: {type: categorical}
    baseline: {start: 2026-11-01, end: 2026-11-14}
checks:
  window: 1d
  drift: {window: 1d, min_support: 200, thresholds: reference, metric: ks}
"""
START = datetime(2026, 11, 1)


def _frame(rng: np.random.Generator, day: int, n: int, shift: float = 0.0) -> pl.DataFrame:
    ts = [START + timedelta(days=day, seconds=int(s)) for s in rng.integers(0, 86_400, n)]
    score = rng.random(n)
    x = rng.normal(10 + shift, 2, n)
    x[rng.random(n) < 0.05] = np.nan  # nulls are left out of every distribution
    probabilities = [0.5, 0.3, 0.2] if not shift else [0.3, 0.3, 0.4]
    return pl.DataFrame(
        {
            "prediction_id": [f"d{day}-{i}" for i in range(n)],
            "ts": ts,
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "x": pl.Series(x).fill_nan(None),
            "c": rng.choice(["a", "b", "c"], n, p=probabilities),
            "gone": pl.Series([None] * n, dtype=pl.Float64),  # all missing, always
        }
    )


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    rng = np.random.default_rng(11)
    folder = tmp_path_factory.mktemp("reference")
    write_config(folder, REFERENCE_CONFIG)
    # Two stable weeks of baseline, then two shifted production days.
    frames = [_frame(rng, day, int(rng.integers(800, 1_200))) for day in range(14)]
    frames += [_frame(rng, day, 1_000, shift=1.5) for day in (14, 15)]
    preds = pl.concat(frames)
    preds.write_parquet(folder / "p.parquet")
    return folder, preds


def _reference(folder: Path, histograms: dict[str, Bins]) -> tuple[Reference, Model]:
    settings = load_config(folder / "oncall.yaml")
    model = settings.model("m")
    with Store(settings.store_path).read() as con:
        reference = Reference(con, "m", model, histograms, (START, START + timedelta(days=14)))
        reference.window_counts("x")  # read once; the counts are kept for its life
    return reference, model


def _baseline_hists(preds: pl.DataFrame) -> dict[str, Bins]:
    base = preds.filter(pl.col("ts") < START + timedelta(days=14))
    xs = base["x"].drop_nulls().to_numpy()
    x_hist, _ = _hist(xs, 10)
    cats = base["c"].value_counts().sort("c")
    c_hist = Bins(None, tuple(cats["c"].to_list()), tuple(cats["count"].to_list()))
    return {"x": x_hist, "c": c_hist}


def test_reference_windows_count_what_numpy_counts(
    reference_store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, preds = reference_store
    config = folder / "oncall.yaml"
    assert cli(capsys, "--config", config, "ingest", "predictions", folder / "p.parquet",
               "--model", "m").code == 0  # fmt: skip
    hists = _baseline_hists(preds)
    reference, _model = _reference(folder, hists)
    assert reference.n_windows == 14
    x_windows, c_windows = reference.window_counts("x"), reference.window_counts("c")
    edges = np.array(hists["x"].edges)
    for day in range(14):
        rows = preds.filter(
            (pl.col("ts") >= START + timedelta(days=day))
            & (pl.col("ts") < START + timedelta(days=day + 1))
        )
        assert x_windows[day] == _counts(edges, rows["x"].drop_nulls().to_numpy())
        expected = [float((rows["c"] == v).sum()) for v in ("a", "b", "c")]
        assert c_windows[day] == [*expected, 0.0]


def test_reference_thresholds_sit_at_the_noise_and_a_shift_crosses_them(
    reference_store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, preds = reference_store
    config = folder / "oncall.yaml"
    cli(capsys, "--config", config, "ingest", "predictions", folder / "p.parquet", "--model", "m")
    hists = _baseline_hists(preds)
    reference, model = _reference(folder, hists)
    limits = thresholds_for(model, "x", reference)
    assert limits.source == "reference"
    assert limits.evidence["reference_windows"] == 14
    # Independently: each stable day's binned KS against the other 13 days, from numpy.
    base = preds.filter(pl.col("ts") < START + timedelta(days=14))
    edges = np.array(hists["x"].edges)
    values = []
    for day in range(14):
        inside = (base["ts"] >= START + timedelta(days=day)) & (
            base["ts"] < START + timedelta(days=day + 1)
        )
        one = np.cumsum(_counts(edges, base.filter(inside)["x"].drop_nulls().to_numpy()))
        rest = np.cumsum(_counts(edges, base.filter(~inside)["x"].drop_nulls().to_numpy()))
        values.append(float(np.max(np.abs(one[:-1] / one[-1] - rest[:-1] / rest[-1]))))
    assert limits.evidence["reference_mean"] == pytest.approx(np.mean(values), rel=1e-9)
    assert limits.evidence["reference_std"] == pytest.approx(np.std(values, ddof=1), rel=1e-9)
    assert limits.warn == pytest.approx(np.mean(values) + 2 * np.std(values, ddof=1))
    assert limits.crit == pytest.approx(np.mean(values) + 3 * np.std(values, ddof=1))
    # The natural noise of KS for ~1,000 rows against ~13,000: about 0.9 / sqrt(n_eff).
    n_eff = 1_000 * 13_000 / 14_000
    assert 0.3 / math.sqrt(n_eff) < limits.evidence["reference_mean"] < 1.5 / math.sqrt(n_eff)
    assert limits.crit < DRIFT_DEFAULTS["ks"][0]  # tighter than the fixed default here
    # A shifted production day crosses crit; a stable one stays under warn.
    shifted = preds.filter(pl.col("ts") >= START + timedelta(days=14))["x"].drop_nulls()
    assert _value("ks", hists["x"], _counts(edges, shifted.to_numpy())) > limits.crit
    # The categorical feature's own method (psi here) gets its own thresholds.
    cat = thresholds_for(model, "c", reference)
    assert (cat.method, cat.source) == ("psi", "reference")
    prod = preds.filter(pl.col("ts") >= START + timedelta(days=14))["c"]
    counts = [float((prod == v).sum()) for v in ("a", "b", "c")]
    assert _value("psi", hists["c"], counts) > cat.crit


def test_too_short_a_reference_falls_back_to_fixed_and_says_so(
    reference_store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, preds = reference_store
    config = folder / "oncall.yaml"
    cli(capsys, "--config", config, "ingest", "predictions", folder / "p.parquet", "--model", "m")
    hists = _baseline_hists(preds)
    reference, model = _reference(folder, hists)
    reference.window = (START, START + timedelta(days=2))  # two windows only
    limits = thresholds_for(model, "x", reference)
    assert limits.source == "fixed"
    assert (limits.warn, limits.crit) == DRIFT_DEFAULTS["ks"]
    assert "2 windows" in limits.detail()["thresholds_note"]
    # No reference at all, and the score per slice value: fixed, said why.
    assert "no reference" in thresholds_for(model, "x").detail()["thresholds_note"]
    assert thresholds_for(model, "score|seg=a", reference).source == "fixed"


# --- end to end -----------------------------------------------------------------------


E2E_CONFIG = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    features:
      x: {type: numeric, max_null: 0.2}
      c: {type: categorical, drift: {method: chi2, warn: 0.05, crit: 0.1}}
      gone: {type: numeric, max_null: 1}
    baseline: {start: 2026-11-01, end: 2026-11-14}
checks:
  window: 1d
  drift: {window: 1d, min_support: 200, metric: ks}
"""


def _check(folder: Path, capsys: pytest.CaptureFixture[str], text: str) -> dict[str, Any]:
    config = write_config(folder, text)
    store = folder / "store.duckdb"
    if store.exists():
        store.unlink()
    ingest = cli(capsys, "--config", config, "ingest", "predictions", folder / "p.parquet",
                 "--model", "m")  # fmt: skip
    assert ingest.code == 0, ingest.err
    result = cli(capsys, "--config", config, "--now", "2026-11-16T00:00", "check", "--json")
    assert result.code == 0, result.err
    out: dict[str, Any] = result.json()
    return out


def test_oncall_check_alerts_on_ks_drift_and_per_feature_thresholds(
    reference_store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, preds = reference_store
    out = _check(folder, capsys, E2E_CONFIG)
    results = {(r["check"], datetime.fromisoformat(r["window_start"])): r for r in out["results"]}
    hists = _baseline_hists(preds)
    edges = np.array(hists["x"].edges)
    for day in (13, 14):  # the last stable day, the first shifted one
        w = START + timedelta(days=day)
        r = results[("drift:x", w)]
        rows = preds.filter((pl.col("ts") >= w) & (pl.col("ts") < w + timedelta(days=1)))
        got = np.cumsum(_counts(edges, rows["x"].drop_nulls().to_numpy()))
        base = np.cumsum(hists["x"].counts)
        oracle = float(np.max(np.abs(got[:-1] / got[-1] - base[:-1] / base[-1])))
        assert r["value"] == pytest.approx(oracle, rel=1e-9)
        assert r["detail"]["method"] == "ks" and r["detail"]["thresholds"] == "fixed"
        assert r["threshold"] == DRIFT_DEFAULTS["ks"][0]
        assert r["status"] == ("pass" if day == 13 else "critical")
        c = results[("drift:c", w)]
        assert c["detail"]["method"] == "chi2" and 0 <= c["detail"]["p_value"] <= 1
        assert (c["threshold"], c["detail"]["crit"]) == (0.05, 0.1)
        assert c["status"] == ("pass" if day == 13 else "critical")
        # The feature's own null budget grades its completeness (5% nulls: under 20%).
        nulls = results[("completeness:x", w)]
        assert (nulls["threshold"], nulls["status"]) == (0.2, "pass")
    firing = {(a["kind"], a["feature"]) for a in out["firing"]}
    assert {("drift", "x"), ("drift", "c")} <= firing
    # The same store with thresholds from the reference: the detail says where they came
    # from, and the shift is still critical.
    out = _check(
        folder, capsys, E2E_CONFIG.replace("metric: ks", "metric: ks, thresholds: reference")
    )
    shifted = next(
        r for r in out["results"]
        if r["check"] == "drift:x"
        and datetime.fromisoformat(r["window_start"]) == START + timedelta(days=14)
    )  # fmt: skip
    assert shifted["detail"]["thresholds"] == "reference"
    assert shifted["detail"]["reference_windows"] == 14
    assert shifted["status"] == "critical"
    assert shifted["threshold"] < DRIFT_DEFAULTS["ks"][0]
    # A feature with no values at all: nothing to measure, and no reference to derive
    # thresholds from; never a crash.
    gone = [r for r in out["results"] if r["check"] == "drift:gone"]
    assert gone and all(r["value"] is None and r["status"] == "insufficient" for r in gone)
    assert all(r["detail"]["thresholds"] == "fixed" for r in gone)
    assert "0 windows" in gone[0]["detail"]["thresholds_note"]
    # The score overall takes reference thresholds too (its method: the numeric one).
    score = next(r for r in out["results"] if r["check"] == "score_drift" and not r["slice"])
    assert (score["detail"]["method"], score["detail"]["thresholds"]) == ("ks", "reference")
