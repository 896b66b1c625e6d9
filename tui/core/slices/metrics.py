"""Model-quality metrics from counts, their intervals, and distribution distances.

Everything here works on counts (confusion cells, sums, histogram bins), never on
rows, so the same code serves raw-row queries and rollups. An undefined metric (no
positives, nothing labelled) is None, never 0 or NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
PSI_EPSILON = 1e-4


def ratio(num: float, den: float) -> float | None:
    """num / den, or None when the denominator is zero."""
    return num / den if den else None


def wilson(successes: float, trials: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion; None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Confusion:
    """A binary confusion matrix; ``n`` counts labelled rows."""

    tp: float
    fp: float
    tn: float
    fn: float

    @property
    def n(self) -> float:
        return self.tp + self.fp + self.tn + self.fn


def f1_from(tp: float, fp: float, fn: float) -> float | None:
    """F1 = 2TP / (2TP + FP + FN); None when there is nothing to score."""
    return ratio(2 * tp, 2 * tp + fp + fn)


# Each binary proportion metric as (numerator, denominator) of confusion cells, so
# that its Wilson interval comes from the same counts.
_PROPORTIONS = {
    "accuracy": (("tp", "tn"), ("tp", "tn", "fp", "fn")),
    "precision": (("tp",), ("tp", "fp")),
    "recall": (("tp",), ("tp", "fn")),
    "fpr": (("fp",), ("fp", "tn")),
    "predicted_positive_rate": (("tp", "fp"), ("tp", "fp", "tn", "fn")),
}


def binary_metrics(c: Confusion) -> dict[str, float | None]:
    """Accuracy, precision, recall, F1, false-positive rate and predicted-positive rate."""
    cells = {"tp": c.tp, "fp": c.fp, "tn": c.tn, "fn": c.fn}
    out: dict[str, float | None] = {}
    for name, (num, den) in _PROPORTIONS.items():
        out[name] = ratio(sum(cells[k] for k in num), sum(cells[k] for k in den))
    out["f1"] = f1_from(c.tp, c.fp, c.fn)
    return out


def binary_intervals(c: Confusion) -> dict[str, tuple[float, float] | None]:
    """Wilson intervals for every binary proportion metric."""
    cells = {"tp": c.tp, "fp": c.fp, "tn": c.tn, "fn": c.fn}
    out: dict[str, tuple[float, float] | None] = {}
    for name, (num, den) in _PROPORTIONS.items():
        out[name] = wilson(sum(cells[k] for k in num), sum(cells[k] for k in den))
    return out


def multiclass_metrics(
    per_class: Mapping[str, tuple[float, float, float]], correct: float, n: float
) -> dict[str, float | None]:
    """Accuracy, macro-F1, weighted-F1 and per-class recall from per-class (tp, fp, fn)
    counts.

    Macro-F1 averages over the classes that occur in the labels or the predictions
    (as scikit-learn does with ``labels`` left unset); weighted-F1 weighs each class's
    F1 by its support (tp + fn, its rows among the labels), so a class only predicted
    weighs nothing, as in ``f1_score(average="weighted")``.
    """
    out: dict[str, float | None] = {"accuracy": ratio(correct, n)}
    f1s = []
    weighted = 0.0
    support = 0.0
    for cls, (tp, fp, fn) in sorted(per_class.items()):
        if tp + fp + fn == 0:
            continue
        f1 = f1_from(tp, fp, fn) or 0.0
        f1s.append(f1)
        weighted += (tp + fn) * f1
        support += tp + fn
        out[f"recall_{cls}"] = ratio(tp, tp + fn)
    out["macro_f1"] = sum(f1s) / len(f1s) if f1s and n else None
    out["weighted_f1"] = weighted / support if support and n else None
    return out


@dataclass
class LabelSums:
    """Sums over the labelled rows that MAPE and R² need beyond the error sums.

    ``label_sum`` and ``label_sq_sum`` are the sum of labels and of their squares;
    ``ape_sum`` is the sum of |prediction − label| / |label| over the ``ape_n`` rows
    whose label is not zero (a zero label has no percentage error, so those rows are
    skipped rather than counted infinite), ``ape_sq_sum`` the sum of their squares.
    """

    label_sum: float = 0.0
    label_sq_sum: float = 0.0
    ape_sum: float = 0.0
    ape_sq_sum: float = 0.0
    ape_n: float = 0.0


def regression_metrics(
    n: float, abs_sum: float, sq_sum: float, err_sum: float, labels: LabelSums | None = None
) -> dict[str, float | None]:
    """MAE, RMSE and bias (mean of prediction − label) from sums of errors; with the
    label sums also MAPE (a fraction, as scikit-learn's, over the non-zero labels) and
    R² (1 − SS_res / SS_tot; None when the labels do not vary, where scikit-learn's
    value is a convention rather than a measurement)."""
    if n <= 0:
        return {"mae": None, "rmse": None, "bias": None, "mape": None, "r2": None}
    out: dict[str, float | None] = {
        "mae": abs_sum / n,
        "rmse": math.sqrt(sq_sum / n),
        "bias": err_sum / n,
        "mape": None,
        "r2": None,
    }
    if labels is not None:
        out["mape"] = ratio(labels.ape_sum, labels.ape_n)
        ss_tot = labels.label_sq_sum - labels.label_sum * labels.label_sum / n
        # Relative floor: a constant label leaves only rounding in ss_tot.
        scale = max(labels.label_sq_sum, 1e-300)
        out["r2"] = 1.0 - sq_sum / ss_tot if ss_tot > 1e-12 * scale else None
    return out


def f1_interval(tp: float, fp: float, fn: float, z: float = Z95) -> tuple[float, float] | None:
    """A 95% interval for F1: the Wilson interval of J = TP / (TP + FP + FN) mapped
    through F1 = 2J / (1 + J).

    F1 depends on the counts only through J, and given the rows that are a TP, FP or FN
    the TPs among them are binomial, so the Wilson interval of J carried through that
    increasing map covers F1 as well as Wilson covers a proportion; it costs nothing,
    unlike a bootstrap, which matters when every window and slice gets one."""
    interval = wilson(tp, tp + fp + fn, z)
    if interval is None:
        return None
    lo, hi = interval
    return (2 * lo / (1 + lo), 2 * hi / (1 + hi))


def auc_interval(auc: float | None, n_pos: float, n_neg: float) -> tuple[float, float] | None:
    """The Hanley–McNeil normal 95% interval for an AUC from its positives and negatives."""
    if auc is None or n_pos < 2 or n_neg < 2:
        return None
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (
        n_pos * n_neg
    )
    half = Z95 * math.sqrt(max(var, 0.0))
    return (max(0.0, auc - half), min(1.0, auc + half))


def mean_interval(
    n: float, mean: float | None, sq_mean: float | None
) -> tuple[float, float] | None:
    """A normal-approximation 95% interval for a mean, from the mean and mean square."""
    if n < 2 or mean is None or sq_mean is None:
        return None
    variance = max(0.0, sq_mean - mean * mean) * n / (n - 1)
    half = Z95 * math.sqrt(variance / n)
    return (mean - half, mean + half)


def _normalise(counts: Sequence[float]) -> list[float]:
    total = float(sum(counts))
    if total <= 0:
        return [0.0 for _ in counts]
    return [c / total for c in counts]


def psi(
    expected: Sequence[float], actual: Sequence[float], epsilon: float = PSI_EPSILON
) -> float | None:
    """Population stability index between two histograms over the same bins.

    Empty bins are floored at ``epsilon`` (as a proportion) so the log stays finite.
    None when either histogram is empty.
    """
    if len(expected) != len(actual):
        raise ValueError("histograms must share their bins")
    if sum(expected) <= 0 or sum(actual) <= 0:
        return None
    e = [max(p, epsilon) for p in _normalise(expected)]
    a = [max(p, epsilon) for p in _normalise(actual)]
    return sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a, strict=True))


def jensen_shannon(expected: Sequence[float], actual: Sequence[float]) -> float | None:
    """Jensen–Shannon distance (base 2, in [0, 1]) between two histograms; None if empty."""
    if len(expected) != len(actual):
        raise ValueError("histograms must share their bins")
    if sum(expected) <= 0 or sum(actual) <= 0:
        return None
    p, q = _normalise(expected), _normalise(actual)
    m = [(pi + qi) / 2 for pi, qi in zip(p, q, strict=True)]

    def kl(x: list[float], y: list[float]) -> float:
        return sum(xi * math.log2(xi / yi) for xi, yi in zip(x, y, strict=True) if xi > 0)

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def null_fraction(nulls: float, total: float) -> float | None:
    """The fraction of rows whose value is missing; None for an empty window."""
    return ratio(nulls, total)
