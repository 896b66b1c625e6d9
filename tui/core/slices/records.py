"""Typed records at the slices' edge: what `slice_metrics`, `worst_slices`,
`metric_series` and `label_delay` answer, each with one `to_json()` that is what the
command line prints, so both faces get the same answer from the same call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Interval = tuple[float, float]
Estimate = dict[str, float | None]  # accuracy, precision, recall, F1 from the scores
LAST = ("auc",)  # metrics some groups lack (AUC needs scores): printed after the rest


@dataclass(frozen=True)
class GroupMetrics:
    """Every metric of the model's task for one group, each with its 95% interval."""

    n: int
    n_labeled: int
    coverage: float | None
    values: dict[str, float | None] = field(default_factory=dict)
    intervals: dict[str, Interval | None] = field(default_factory=dict)

    def value(self, metric: str) -> float | None:
        """The metric's value, None when it is undefined or not of this task."""
        return self.values.get(metric)

    def interval(self, metric: str) -> Interval | None:
        """The metric's 95% interval, None when there is none."""
        return self.intervals.get(metric)

    def to_json(self) -> dict[str, Any]:
        """`n`, `n_labeled`, `coverage`, each metric and each `<metric>_ci`; AUC, which
        only counts with scores have, last with its interval (as it always was)."""
        out: dict[str, Any] = {"n": self.n, "n_labeled": self.n_labeled, "coverage": self.coverage}
        out.update((k, v) for k, v in self.values.items() if k not in LAST)
        out.update((f"{k}_ci", v) for k, v in self.intervals.items() if k not in LAST)
        for k in LAST:
            if k in self.values:
                out[k] = self.values[k]
            if k in self.intervals:
                out[f"{k}_ci"] = self.intervals[k]
        return out


@dataclass(frozen=True)
class SliceRow:
    """One slice's metrics (`slice` None is the whole model), with each metric's
    difference to overall and, for binary models, the estimate from the scores."""

    slice: dict[str, str] | None
    metrics: GroupMetrics
    diffs: dict[str, float | None] = field(default_factory=dict)
    estimated: Estimate | None = None

    @property
    def n(self) -> int:
        """Predictions in the slice."""
        return self.metrics.n

    @property
    def n_labeled(self) -> int:
        """Labelled predictions in the slice."""
        return self.metrics.n_labeled

    @property
    def coverage(self) -> float | None:
        """The fraction of the slice's predictions that is labelled."""
        return self.metrics.coverage

    def value(self, metric: str) -> float | None:
        """The metric's value in the slice."""
        return self.metrics.value(metric)

    def interval(self, metric: str) -> Interval | None:
        """The metric's 95% interval in the slice."""
        return self.metrics.interval(metric)

    def diff(self, metric: str) -> float | None:
        """The slice's value minus the overall value."""
        return self.diffs.get(metric)

    def to_json(self) -> dict[str, Any]:
        """The row as `oncall slices metrics --json` prints it."""
        out: dict[str, Any] = {"slice": self.slice, **self.metrics.to_json()}
        out.update({f"{k}_diff": v for k, v in self.diffs.items()})
        if self.estimated is not None:
            out["estimated"] = self.estimated
        return out


@dataclass(frozen=True)
class WorstSlice:
    """A slice clearly worse than overall, and how much (`lift`) and how sure (`score`)."""

    slice: dict[str, str]
    n: int
    n_labeled: int
    metric: str
    value: float
    overall: float
    lift: float | None
    ci: Interval | None
    score: float

    def to_json(self) -> dict[str, Any]:
        """The row as `oncall slices worst --json` prints it."""
        return {
            "slice": self.slice,
            "n": self.n,
            "n_labeled": self.n_labeled,
            "metric": self.metric,
            "value": self.value,
            "overall": self.overall,
            "lift": self.lift,
            "ci": self.ci,
            "score": self.score,
        }


@dataclass(frozen=True)
class WorstSummary:
    """What the worst slices are measured against: the overall value and its support."""

    metric: str
    overall: float | None
    n: int
    n_labeled: int

    def to_json(self) -> dict[str, Any]:
        """The summary as a plain dict."""
        return {
            "metric": self.metric,
            "overall": self.overall,
            "n": self.n,
            "n_labeled": self.n_labeled,
        }


@dataclass(frozen=True)
class SeriesPoint:
    """One day of a metric over time: from the labels, and estimated from the scores."""

    day: datetime
    n: int
    n_labeled: int
    value: float | None
    estimated: float | None
    # The estimate's 95% sampling band, and whether the day's labels are in
    # (`labels.min_fraction` of its rows): None where there is no estimate.
    band: tuple[float, float] | None = None
    labels_complete: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The point as `oncall slices series --json` prints it."""
        return {
            "day": self.day,
            "n": self.n,
            "n_labeled": self.n_labeled,
            "value": self.value,
            "estimated": self.estimated,
            "band": list(self.band) if self.band else None,
            "labels_complete": self.labels_complete,
        }


@dataclass(frozen=True)
class ExamplesPage:
    """One page of prediction rows and the key of the next page (None at the end).

    A row keeps the store's columns as they are (the model's slices and features vary),
    so it stays a mapping of column to value."""

    rows: list[dict[str, Any]]
    next: str | None

    @property
    def count(self) -> int:
        """Rows on this page."""
        return len(self.rows)

    def to_json(self) -> dict[str, Any]:
        """The page as `oncall examples --json` prints it."""
        return {"rows": self.rows, "next": self.next, "count": self.count}


@dataclass(frozen=True)
class DelayDay:
    """Label arrival for one prediction day (and one value of `column`, when grouped)."""

    day: datetime
    n: int
    # Fraction labelled within h days, per horizon h; None until the day is h days old.
    within: dict[int, float | None]
    labeled_now: float | None
    p50_hours: float | None
    p90_hours: float | None
    p99_hours: float | None
    overdue: int
    column: str | None = None
    group: Any = None

    def to_json(self) -> dict[str, Any]:
        """The day as `oncall labels delay --json` prints it."""
        out: dict[str, Any] = {"day": self.day, "n": self.n}
        if self.column:
            out[self.column] = self.group
        out.update({f"within_{h}d": v for h, v in self.within.items()})
        out.update(
            labeled_now=self.labeled_now,
            p50_hours=self.p50_hours,
            p90_hours=self.p90_hours,
            p99_hours=self.p99_hours,
            overdue=self.overdue,
        )
        return out


@dataclass(frozen=True)
class DelayTotal:
    """Label arrival over the whole window (for one value of `column`, when grouped)."""

    n: int
    labeled: int
    p50_hours: float | None
    p90_hours: float | None
    p99_hours: float | None
    overdue: int
    column: str | None = None
    group: Any = None

    @property
    def coverage(self) -> float | None:
        """The fraction labelled by now."""
        return self.labeled / self.n if self.n else None

    def to_json(self) -> dict[str, Any]:
        """The total as `oncall labels delay --json` prints it."""
        out: dict[str, Any] = {
            "n": self.n,
            "labeled": self.labeled,
            "p50_hours": self.p50_hours,
            "p90_hours": self.p90_hours,
            "p99_hours": self.p99_hours,
            "overdue": self.overdue,
        }
        if self.column:
            out[self.column] = self.group
        return out


@dataclass(frozen=True)
class DelayReport:
    """How late ground truth is for one model: per prediction day and in total."""

    model: str
    expected_delay_hours: float
    days: list[DelayDay]
    summary: list[DelayTotal]

    def to_json(self) -> dict[str, Any]:
        """The report as `oncall labels delay --json` prints it."""
        return {
            "model": self.model,
            "expected_delay_hours": self.expected_delay_hours,
            "days": [d.to_json() for d in self.days],
            "summary": [s.to_json() for s in self.summary],
        }
