"""Metrics against scikit-learn and scipy on random data, with the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import binomtest
from sklearn import metrics as skm

from tui.core.slices.metrics import (
    Confusion,
    binary_intervals,
    binary_metrics,
    jensen_shannon,
    multiclass_metrics,
    null_fraction,
    psi,
    regression_metrics,
    wilson,
)


def _confusion(y: np.ndarray, p: np.ndarray) -> Confusion:
    return Confusion(
        tp=float(((y == 1) & (p == 1)).sum()),
        fp=float(((y == 0) & (p == 1)).sum()),
        tn=float(((y == 0) & (p == 0)).sum()),
        fn=float(((y == 1) & (p == 0)).sum()),
    )


@pytest.mark.parametrize("seed", range(25))
def test_binary_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    y = (rng.random(n) < rng.random()).astype(int)
    p = (rng.random(n) < rng.random()).astype(int)
    got = binary_metrics(_confusion(y, p))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, p))

    def expect(fn: object, defined: bool) -> float | None:
        return float(fn(y, p, zero_division=np.nan)) if defined else None  # type: ignore[operator]

    has_pred_pos = bool((p == 1).any())
    has_true_pos = bool((y == 1).any())
    assert got["precision"] == pytest.approx(expect(skm.precision_score, has_pred_pos))
    assert got["recall"] == pytest.approx(expect(skm.recall_score, has_true_pos))
    if has_pred_pos or has_true_pos:
        assert got["f1"] == pytest.approx(skm.f1_score(y, p))
    else:
        assert got["f1"] is None
    negatives = (y == 0).sum()
    if negatives:
        tn, fp, _fn, _tp = skm.confusion_matrix(y, p, labels=[0, 1]).ravel()
        assert got["fpr"] == pytest.approx(fp / (fp + tn))
    else:
        assert got["fpr"] is None
    assert got["predicted_positive_rate"] == pytest.approx(p.mean())


def test_undefined_metrics_are_none_never_zero_or_nan() -> None:
    empty = binary_metrics(Confusion(0, 0, 0, 0))
    assert all(v is None for v in empty.values())
    single_class = binary_metrics(Confusion(tp=0, fp=0, tn=10, fn=0))
    assert single_class["precision"] is None
    assert single_class["recall"] is None
    assert single_class["f1"] is None
    assert single_class["accuracy"] == 1.0
    for value in single_class.values():
        assert value is None or not math.isnan(value)
    assert binary_intervals(Confusion(0, 0, 0, 0))["accuracy"] is None


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (3, 17), (50, 100), (1, 1000)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    expected = binomtest(k, n).proportion_ci(method="wilson", confidence_level=0.95)
    got = wilson(k, n)
    assert got is not None
    assert got[0] == pytest.approx(expected.low, abs=1e-9)
    assert got[1] == pytest.approx(expected.high, abs=1e-9)
    assert wilson(0, 0) is None


@pytest.mark.parametrize("seed", range(15))
def test_multiclass_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c", "d"][: int(rng.integers(1, 5))]
    n = int(rng.integers(1, 200))
    y = rng.choice(classes, n)
    p = rng.choice(classes, n)
    per_class = {
        c: (
            float(((y == c) & (p == c)).sum()),
            float(((y != c) & (p == c)).sum()),
            float(((y == c) & (p != c)).sum()),
        )
        for c in classes
    }
    got = multiclass_metrics(per_class, float((y == p).sum()), float(n))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    assert got["macro_f1"] == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0))
    recalls = skm.recall_score(
        y, p, average=None, labels=sorted(set(y) | set(p)), zero_division=np.nan
    )
    for cls, value in zip(sorted(set(y) | set(p)), recalls, strict=True):
        expected = None if math.isnan(value) else value
        assert got.get(f"recall_{cls}") == pytest.approx(expected)
    assert got["weighted_f1"] == pytest.approx(
        skm.f1_score(y, p, average="weighted", zero_division=0)
    )
    assert multiclass_metrics({}, 0, 0) == {
        "accuracy": None,
        "macro_f1": None,
        "weighted_f1": None,
    }


@pytest.mark.parametrize("seed", range(10))
def test_regression_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 500))
    y = rng.normal(10, 3, n)
    p = y + rng.normal(0.5, 2, n)
    err = p - y
    got = regression_metrics(n, float(np.abs(err).sum()), float((err**2).sum()), float(err.sum()))
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert got["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y, p)))
    assert got["bias"] == pytest.approx(err.mean())
    assert regression_metrics(0, 0, 0, 0) == {
        "mae": None,
        "rmse": None,
        "bias": None,
        "mape": None,
        "r2": None,
    }


def _psi_oracle(e: np.ndarray, a: np.ndarray, eps: float = 1e-4) -> float:
    pe = np.maximum(e / e.sum(), eps)
    pa = np.maximum(a / a.sum(), eps)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


@pytest.mark.parametrize("seed", range(20))
def test_psi_and_js_match_numpy_and_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bins = int(rng.integers(2, 12))
    e = rng.integers(0, 50, bins).astype(float)
    a = rng.integers(0, 50, bins).astype(float)
    e[0] += 1
    a[-1] += 1
    assert psi(list(e), list(a)) == pytest.approx(_psi_oracle(e, a))
    assert jensen_shannon(list(e), list(a)) == pytest.approx(float(jensenshannon(e, a, base=2)))
    assert psi(list(e), list(e)) == pytest.approx(0.0, abs=1e-12)


def test_distances_of_empty_histograms_are_none() -> None:
    assert psi([0, 0], [1, 2]) is None
    assert jensen_shannon([1, 2], [0, 0]) is None
    with pytest.raises(ValueError, match="share their bins"):
        psi([1], [1, 2])


def test_null_fraction() -> None:
    assert null_fraction(3, 10) == 0.3
    assert null_fraction(0, 0) is None
    assert null_fraction(5, 5) == 1.0
