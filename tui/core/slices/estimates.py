"""Estimated performance where labels have not arrived, and whether to trust it.

Binary and multiclass models: confidence-based performance estimation (CBPE). Each
row's score, mapped through a calibration map fitted on labelled reference rows (per
model version), is the probability that its label is the positive class (for
multiclass, that class); summed over a window's rows it gives the expected confusion
matrix, and from it precision, recall, F1, accuracy, ROC AUC and macro-F1. The band
around each estimate is where the realised value lands 95% of the time if the
calibrated scores are right: the labels are independent Bernoulli draws, so each
expected cell has variance Σ p(1-p), carried to the metric by the delta method.

Regression models: direct loss estimation (DLE). Two gradient-boosted trees fitted
on the labelled reference rows predict each row's absolute and squared error from its
features and prediction; their means over a window are the estimated MAE and MSE.

Windows are any step (an hour, a day, a week, a shift) or the whole request (since a
deploy), overall and per slice value, from one grouped query per request. Each
estimate is shown beside the realised value where labels have arrived, with a verdict
on the estimate that says why when it cannot judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui.core.config.settings import Model
from tui.core.errors import UsageError
from tui.core.slices.request import Request, check_columns

if TYPE_CHECKING:
    pass


from tui.core.slices.cbpe import SCORE_BINS, binary_groups, multiclass_groups
from tui.core.slices.dle import regression_groups
from tui.core.slices.estimate_sums import EstimateRow, WindowSums
from tui.core.slices.fitting import Fitted, LossModel, Reference, fit

__all__ = ["SCORE_BINS", "EstimateRow", "Fitted", "LossModel", "Reference", "fit"]

PRIMARY = {"binary": "f1", "multiclass": "macro_f1", "regression": "mae"}
# The estimate is trusted when, on labelled rows, it lands within this of the realised
# primary metric (F1, macro-F1; MAE relative) in every group with enough labels, and no
# well-filled score bin's calibrated mean is further than MAX_BIN_GAP from its rate.
MAX_F1_GAP = 0.05
MAX_MAE_GAP = 0.1
MAX_BIN_GAP = 0.1
MIN_LABELED_FOR_CHECK = 200
MIN_BIN_ROWS = 100


@dataclass
class Verdict:
    """Whether the estimate can be trusted, judged where labels exist, and why not when
    it cannot be judged."""

    judged: bool
    trustworthy: bool
    reason: str
    max_gap: float | None
    max_bin_gap: float | None
    groups_checked: int
    within_band: float | None

    def to_json(self, task: str) -> dict[str, Any]:
        return {
            # `max_f1_gap` is the primary metric's gap (F1, macro-F1, or MAE relative).
            "max_f1_gap": self.max_gap,
            "max_bin_gap": self.max_bin_gap,
            "groups_checked": self.groups_checked,
            "trustworthy": self.trustworthy,
            "judged": self.judged,
            "reason": self.reason,
            "metric": PRIMARY[task],
            "within_band": self.within_band,
            "rule": _rule(task),
        }


def _rule(task: str) -> str:
    gap = f"{MAX_MAE_GAP:.0%} of the realised MAE" if task == "regression" else str(MAX_F1_GAP)
    rule = (
        f"{PRIMARY[task]} estimated on labelled rows within {gap} of realised in every "
        f"window with {MIN_LABELED_FOR_CHECK}+ labels"
    )
    if task == "binary":
        rule += (
            f", and calibrated score bins with {MIN_BIN_ROWS}+ rows within {MAX_BIN_GAP} "
            "of their positive rate"
        )
    return rule


@dataclass
class EstimateReport:
    """Estimates per window and slice value, the calibration's reliability table, what
    it was fitted on, and the verdict."""

    model: str
    task: str
    rows: list[EstimateRow]
    reliability: list[dict[str, Any]]
    fitted: Fitted
    verdict: Verdict
    every: timedelta | None
    by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "kind": "estimate",
            "task": self.task,
            "every_seconds": int(self.every.total_seconds()) if self.every else None,
            "by": self.by,
            "rows": [r.to_json() for r in self.rows],
            "reliability": self.reliability,
            "calibration": {**self.verdict.to_json(self.task), **self.fitted.to_json()},
        }


def estimate(
    con: Any,
    req: Request,
    fitted: Fitted,
    every: timedelta | None = timedelta(days=1),
    by: str | None = None,
    origin: datetime | None = None,
) -> EstimateReport:
    """Estimated and realised metrics per window of ``every`` (None: the whole request as
    one window) counted from ``origin`` (default ``req.since``; the first window is cut
    at ``req.since``), overall and, with ``by``, per value of that slice column; one
    grouped query. Always an estimate."""
    if by is not None:
        check_columns(req, [by])
    if req.model.task == "multiclass" and not req.model.classes:
        raise UsageError(
            f"estimates of multiclass model {req.model_name!r} need its `classes:` "
            "declared and a score_<class> column for each"
        )
    if req.model.task == "regression" and fitted.loss is None:
        groups: dict[tuple[datetime, str | None], WindowSums] = {}
        table: list[dict[str, Any]] = []
    elif req.model.task == "regression":
        groups, table = regression_groups(con, req, fitted, every, by, origin), []
    elif req.model.task == "binary":
        groups, table = binary_groups(con, req, fitted, every, by, origin)
    else:
        groups, table = multiclass_groups(con, req, fitted, every, by, origin), []
    step = every or (req.until - req.since)
    rows = []
    for (w, value), sums in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if not sums.n:
            continue
        row = sums.row(req.model, w, min(w + step, req.until))
        row.window_start = max(w, req.since)
        row.slice = {by: value} if by and value is not None else None
        when = f"{row.window_start:%Y-%m-%d}"
        if every is not None and every < timedelta(days=1):
            when = f"{row.window_start:%Y-%m-%d %H:%M}"
        # One window and a slice: the slice alone names the row; else its window does.
        where = f"{by}={value}" if by and value is not None else ""
        row.group = where if every is None and where else f"{when} {where}".strip()
        if by and value is None:
            continue
        rows.append(row)
    verdict = judge(req.model, rows, table, fitted)
    return EstimateReport(req.model_name, req.model.task, rows, table, fitted, verdict, every, by)


def judge(
    model: Model, rows: Sequence[EstimateRow], reliability: list[dict[str, Any]], fitted: Fitted
) -> Verdict:
    """The verdict on the estimate: judged on the windows with enough labels."""
    metric = PRIMARY[model.task]
    gaps: list[float] = []
    inside = 0
    for r in rows:
        est, real = r.estimated_on_labeled.get(metric), r.realised.get(metric)
        if r.n_labeled < MIN_LABELED_FOR_CHECK or est is None or real is None:
            continue
        gap = abs(est - real)
        if model.task == "regression":
            gap = gap / real if real else 0.0
        gaps.append(gap)
    for r in rows:
        band, real = r.band.get(metric), r.realised.get(metric)
        if r.labels_complete and band and real is not None:
            inside += band[0] <= real <= band[1]
    complete = sum(1 for r in rows if r.labels_complete and r.band.get(metric))
    bin_gaps = [
        abs(b["mean_calibrated"] - b["positive_rate"])
        for b in reliability
        if b["n"] >= MIN_BIN_ROWS
    ]
    max_gap = max(gaps, default=None)
    max_bin = max(bin_gaps, default=None)
    limit = MAX_MAE_GAP if model.task == "regression" else MAX_F1_GAP
    if model.task == "regression" and fitted.loss is None:
        return Verdict(False, False, f"no estimate: {fitted.problem}", None, None, 0, None)
    if not gaps:
        most = max((r.n_labeled for r in rows), default=0)
        reason = (
            f"cannot judge: no window has {MIN_LABELED_FOR_CHECK}+ labels to compare the "
            f"estimate with (the most: {most:,})"
        )
        return Verdict(False, False, reason, None, max_bin, 0, None)
    ok = max_gap is not None and max_gap <= limit and (max_bin is None or max_bin <= MAX_BIN_GAP)
    shown = f"{max_gap:.1%}" if model.task == "regression" else f"{max_gap:.3f}"
    reason = f"on labelled rows the estimate is off by up to {shown} in {metric}"
    if max_bin is not None:
        reason += f", calibrated score bins by up to {max_bin:.3f}"
    if fitted.problem:
        reason += f" ({fitted.problem})"
    return Verdict(
        True,
        ok,
        reason,
        max_gap,
        max_bin,
        len(gaps),
        inside / complete if complete else None,
    )
