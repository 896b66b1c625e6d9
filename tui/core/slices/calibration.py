"""Calibration maps: from a model's raw score to the probability that the row is positive,
fitted on labelled rows.

Confidence-based estimates are only as good as the scores' calibration: a score of
0.4 must mean that 40% of such rows are positive. A production model's scores rarely
are (class weights, resampling, a threshold moved after training), so the map from
score to observed positive rate is fitted on labelled reference rows and applied to
the unlabelled ones. Two kinds:

- ``isotonic``: the monotone step function closest (least squares) to the labels, by
  pool-adjacent-violators over the distinct scores, interpolated linearly between
  them as scikit-learn's ``IsotonicRegression`` does;
- ``binned``: equal-count score bins, each mapped to its observed positive rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Method = Literal["isotonic", "binned", "none"]
BINNED_BINS = 20


@dataclass(frozen=True)
class CalibrationMap:
    """A monotone map from raw score to probability, given by its knots: a score between
    two knots is interpolated linearly, one outside them takes the nearest knot's value."""

    method: Method
    knots: Floats
    values: Floats
    rows: int  # labelled rows it was fitted on

    def __call__(self, scores: Floats) -> Floats:
        """The calibrated probabilities of ``scores``."""
        if self.method == "none" or not len(self.knots):
            return np.clip(scores, 0.0, 1.0)
        if self.method == "binned":
            # knots are the upper edges of the bins (the last one is +inf).
            idx = np.searchsorted(self.knots, scores, side="left")
            return self.values[np.minimum(idx, len(self.values) - 1)]
        out: Floats = np.interp(scores, self.knots, self.values)
        return out


IDENTITY = CalibrationMap("none", np.zeros(0), np.zeros(0), 0)


def pool_adjacent_violators(y: Floats, w: Floats) -> Floats:
    """The non-decreasing sequence closest to ``y`` in weighted least squares."""
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist(), strict=True):
        values.append(yi)
        weights.append(wi)
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            total = weights[-2] + weights[-1]
            merged = (values[-2] * weights[-2] + values[-1] * weights[-1]) / total
            values[-2:] = [merged]
            weights[-2:] = [total]
            sizes[-2:] = [sizes[-2] + sizes[-1]]
    return np.repeat(np.asarray(values, dtype=float), sizes)


def fit_calibration(
    scores: Floats, positive: npt.NDArray[np.bool_], method: Method
) -> CalibrationMap:
    """A calibration map fitted on labelled rows (``positive``: whether each row's label
    is the positive class). Rows with a NaN score are left out; with no rows, or with
    ``none``, the identity (raw scores, clipped to [0, 1])."""
    keep = ~np.isnan(scores)
    x, y = scores[keep], positive[keep].astype(float)
    if method == "none" or not len(x):
        return CalibrationMap("none", np.zeros(0), np.zeros(0), len(x))
    if method == "binned":
        edges = np.unique(np.quantile(x, np.linspace(0, 1, BINNED_BINS + 1)[1:-1]))
        idx = np.searchsorted(edges, x, side="left")
        counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
        hits = np.bincount(idx, weights=y, minlength=len(edges) + 1)
        # An empty bin (ties at an edge) takes the overall rate rather than a 0/0.
        rates = np.where(counts > 0, hits / np.maximum(counts, 1), y.mean())
        return CalibrationMap("binned", np.append(edges, np.inf), rates, len(x))
    # Ties pooled first: one point per distinct score, weighted by its rows.
    knots, inverse = np.unique(x, return_inverse=True)
    weight = np.bincount(inverse).astype(float)
    mean = np.bincount(inverse, weights=y) / weight
    return CalibrationMap("isotonic", knots, pool_adjacent_violators(mean, weight), len(x))
