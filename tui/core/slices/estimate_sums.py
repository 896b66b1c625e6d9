"""A window's (or slice value's) sums for an estimate, and the metrics, bands and
realised values they give: one row of an estimate report.

The band around each estimate is where the realised value lands 95% of the time if
the calibrated scores are right: the labels are independent Bernoulli draws, so each
expected cell has variance Σ p(1-p), carried to the metric by the delta method.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from tui.core.config.settings import Model
from tui.core.slices.metrics import (
    Z95,
    Confusion,
    auc_interval,
    binary_metrics,
    regression_metrics,
)
from tui.core.slices.outcomes import _multiclass, auc_from_histogram
from tui.core.slices.request import Request
from tui.core.store.sqlparts import (
    slice_value,
)

if TYPE_CHECKING:
    import polars as pl


@dataclass
class EstimateRow:
    """One window (and slice value): rows, labels, the estimate with its band, the
    realised value where labels arrived, and the estimate on the labelled rows only."""

    window_start: datetime
    window_end: datetime
    slice: dict[str, str] | None
    n: int
    n_labeled: int
    estimated: dict[str, float | None]
    band: dict[str, tuple[float, float] | None]
    realised: dict[str, float | None]
    estimated_on_labeled: dict[str, float | None]
    labels_complete: bool
    group: str = ""

    @property
    def coverage(self) -> float | None:
        return self.n_labeled / self.n if self.n else None

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "slice": self.slice,
            "n": self.n,
            "n_labeled": self.n_labeled,
            "coverage": self.coverage,
            "labels_complete": self.labels_complete,
            "estimated": self.estimated,
            "band": {k: list(v) if v else None for k, v in self.band.items()},
            "realised": self.realised,
            "estimated_on_labeled": self.estimated_on_labeled,
        }


@dataclass
class WindowSums:
    """A window's (or slice value's) sums: expected cells and their variances, realised
    cells, the same estimate on labelled rows, and the AUC histograms."""

    n: int = 0
    labeled: int = 0
    cells: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # binary: bin -> expected positives, negatives (all rows); realised positives,
    # negatives; expected positives, negatives (labelled rows).
    auc_bins: dict[int, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0] * 6))
    # multiclass: (pred, true) expected, over all rows and over labelled rows only.
    expected: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    expected_lab: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    variance: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    pred_rows: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    pred_rows_lab: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    pairs: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    classes: int = 0
    min_fraction: float = 1.0
    abs_sd: float = 0.0
    sq_sd: float = 0.0

    def row(self, model: Model, start: datetime, end: datetime) -> EstimateRow:
        complete = bool(self.n) and self.labeled / self.n >= model.labels.min_fraction
        if model.task == "binary":
            est, band, real, on_lab = self._binary()
        elif model.task == "multiclass":
            est, band, real, on_lab = self._multiclass(model)
        else:
            est, band, real, on_lab = self._regression()
        return EstimateRow(
            start, end, None, self.n, self.labeled, est, band, real, on_lab, complete
        )

    def _binary(
        self,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        c = self.cells
        est = _binary_estimate(c["tp"], c["fp"], c["fn"], c["tn"])
        on_lab = _binary_estimate(c["tp_l"], c["fp_l"], c["fn_l"], c["tn_l"])
        real = _binary_estimate(c["r_tp"], c["r_fp"], c["r_fn"], c["r_tn"])
        ordered = sorted(self.auc_bins.items())
        est["auc"] = auc_from_histogram([v[0] for _, v in ordered], [v[1] for _, v in ordered])
        on_lab["auc"] = auc_from_histogram([v[4] for _, v in ordered], [v[5] for _, v in ordered])
        real["auc"] = auc_from_histogram([v[2] for _, v in ordered], [v[3] for _, v in ordered])
        band = _binary_band(est, c)
        return est, band, real, on_lab

    def _multiclass(
        self, model: Model
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        k = len(model.classes or [])
        est, var = _multiclass_estimate(self.expected, self.pred_rows, k, self.variance)
        on_lab, _ = _multiclass_estimate(self.expected_lab, self.pred_rows_lab, k, None)
        found = _multiclass(dict(self.pairs), float(self.labeled)) if self.labeled else {}
        real = {"accuracy": found.get("accuracy"), "macro_f1": found.get("macro_f1")}
        band = {m: _clip_band(est[m], var.get(m)) for m in ("accuracy", "macro_f1")}
        return est, band, real, on_lab

    def _regression(
        self,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        c = self.cells
        n, lab = self.n, self.labeled
        mae = c["abs"] / n if n else None
        mse = c["sq"] / n if n else None
        est = {"mae": mae, "rmse": math.sqrt(mse) if mse is not None else None}
        band: dict[str, tuple[float, float] | None] = {"mae": None, "rmse": None}
        if n >= 2 and mae is not None and mse is not None:
            half = Z95 * self.abs_sd / math.sqrt(n)
            band["mae"] = (max(mae - half, 0.0), mae + half)
            half = Z95 * self.sq_sd / math.sqrt(n)
            band["rmse"] = (math.sqrt(max(mse - half, 0.0)), math.sqrt(mse + half))
        realised = regression_metrics(lab, c["r_abs"], c["r_sq"], c["r_err"])
        real = {"mae": realised.get("mae"), "rmse": realised.get("rmse")}
        on_lab = {
            "mae": c["abs_l"] / lab if lab else None,
            "rmse": math.sqrt(c["sq_l"] / lab) if lab else None,
        }
        return est, band, real, on_lab


def _binary_estimate(tp: float, fp: float, fn: float, tn: float) -> dict[str, float | None]:
    found = binary_metrics(Confusion(tp=tp, fp=fp, tn=tn, fn=fn))
    return {k: found[k] for k in ("accuracy", "precision", "recall", "f1")}


def _clip_band(value: float | None, var: float | None) -> tuple[float, float] | None:
    if value is None or var is None:
        return None
    half = Z95 * math.sqrt(max(var, 0.0))
    return (max(value - half, 0.0), min(value + half, 1.0))


def _binary_band(
    est: dict[str, float | None], c: dict[str, float]
) -> dict[str, tuple[float, float] | None]:
    """Delta-method bands: TP (predicted positive rows) and FN (predicted negative rows)
    are independent sums of Bernoulli draws with variances v_pp and v_pn."""
    a, b = c["tp"], c["fn"]
    npp, n = c["tp"] + c["fp"], c["tp"] + c["fp"] + c["fn"] + c["tn"]
    vpp, vpn = c["v_pp"], c["v_pn"]
    var: dict[str, float | None] = {}
    var["accuracy"] = (vpp + vpn) / n**2 if n else None
    var["precision"] = vpp / npp**2 if npp else None
    var["recall"] = (
        ((b / (a + b) ** 2) ** 2 * vpp + (a / (a + b) ** 2) ** 2 * vpn) if a + b else None
    )
    d = npp + a + b
    var["f1"] = ((2 * (npp + b) / d**2) ** 2 * vpp + (2 * a / d**2) ** 2 * vpn) if d else None
    out = {m: _clip_band(est.get(m), var[m]) for m in ("accuracy", "precision", "recall", "f1")}
    out["auc"] = auc_interval(est.get("auc"), a + b, n - a - b)
    return out


def _multiclass_estimate(
    expected: dict[tuple[int, int], float],
    pred_rows: dict[int, float],
    k: int,
    variance: dict[tuple[int, int], float] | None,
) -> tuple[dict[str, float | None], dict[str, float]]:
    """Accuracy and macro-F1 of an expected (predicted, true) matrix whose rows are
    rescaled to the predicted counts (the per-class calibrations need not sum to one)."""
    m = np.zeros((k, k))
    for (j, i), v in expected.items():
        m[j, i] += v
    rows = np.asarray([pred_rows.get(j, 0.0) for j in range(k)])
    total = m.sum(axis=1)
    scale = np.divide(rows, total, out=np.zeros(k), where=total > 0)
    m = m * scale[:, None]
    n = rows.sum()
    if n <= 0:
        return {"accuracy": None, "macro_f1": None}, {}
    accuracy = float(np.trace(m) / n)
    f1s: list[float] = []
    var_f1 = 0.0
    for c in range(k):
        tp, fp, fn = m[c, c], rows[c] - m[c, c], m[:, c].sum() - m[c, c]
        d = 2 * tp + fp + fn
        if d <= 0:
            continue
        f1s.append(2 * tp / d)
        if variance is not None:
            vpp = variance.get((c, c), 0.0) * scale[c] ** 2
            vpn = sum(variance.get((j, c), 0.0) * scale[j] ** 2 for j in range(k) if j != c)
            npp = rows[c]
            dd = npp + tp + fn
            var_f1 += (2 * (npp + fn) / dd**2) ** 2 * vpp + (2 * tp / dd**2) ** 2 * vpn
    macro = float(np.mean(f1s)) if f1s else None
    var: dict[str, float] = {}
    if variance is not None:
        var["accuracy"] = sum(variance.get((j, j), 0.0) * scale[j] ** 2 for j in range(k)) / n**2
        if f1s:
            var["macro_f1"] = var_f1 / len(f1s) ** 2
    return {"accuracy": accuracy, "macro_f1": macro}, var


def query_params(
    req: Request, every: timedelta | None, values: list[str], origin: datetime | None
) -> dict[str, Any]:
    step = every or (req.until - req.since)
    return {
        "model": req.model_name,
        "since": req.since,
        "until": req.until,
        "now": req.now,
        "version": req.version,
        "step": max(int(step.total_seconds()), 1),
        "origin": origin or req.since,
        "values": values,
    }


def slice_of(frame: pl.DataFrame, by: str | None) -> list[str | None]:
    if by is None:
        return [None] * frame.height
    flags = frame[f"g__{by}"].to_list()
    values = frame[by].to_list()
    return [slice_value(v) if g == 0 else None for g, v in zip(flags, values, strict=True)]
