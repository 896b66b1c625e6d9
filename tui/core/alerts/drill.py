"""The drill-down of an alert: its evidence on its own terms, as of the moment viewed.

`drill_for` says, for one alert and a moment, what the evidence is: the alert's own
measure (an SLO on recall → recall; completeness → the feature's null rate; drift →
the distribution, baseline against current, the bins that grew first), its slice, the
window of its episode as known then (never later data), and which rows make it fail
(`Focus`): the nulls, the out-of-range or unexpected values, the rows in the shifted
bins, the wrong predictions (surest first). The app's slice explorer and
`oncall examples --alert ID` both read this one answer.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.alerts.as_of import alerts_as_of
from tui.core.alerts.reading import alert_row
from tui.core.checks.kinds import window_reach
from tui.core.checks.picture import drift_view
from tui.core.checks.results import slice_of
from tui.core.config.settings import CHECKS_ONLY_METRICS, METRICS_BY_TASK, Model, Settings
from tui.core.slices.focus import Focus
from tui.core.slices.request import Request, primary_metric
from tui.core.store.connection import Store, fetch_rows
from tui.core.store.filters import Filter
from tui.core.store.sqlparts import slice_value

FAILING = ("warning", "critical")
# A wrong prediction on the positive class is the evidence against these metrics:
# precision and the false-positive rate fall with false positives (predicted positive),
# recall with false negatives (labelled positive).
SIDES = {"precision": "prediction", "fpr": "prediction", "recall": "label"}
# The measure a focus's share is, in words (the slice table's column).
MEASURES = {
    "null": "null rate",
    "out_of_range": "out-of-range rate",
    "unexpected": "unexpected rate",
    "bins": "share in shifted bins",
    "unlabelled": "unlabelled rate",
    "all": "rows",
}


@dataclass(frozen=True)
class Bin:
    """One bin of a drift alert's distribution: its share in the baseline and now."""

    label: str
    baseline: float
    current: float

    @property
    def shift(self) -> float:
        """How much the bin grew (negative: shrank)."""
        return self.current - self.baseline

    def to_json(self) -> dict[str, Any]:
        """The bin as scripts see it."""
        return {
            "label": self.label,
            "baseline": self.baseline,
            "current": self.current,
            "shift": self.shift,
        }


@dataclass(frozen=True)
class Drill:
    """An alert's evidence as of `now`: its measure, slice, episode window and rows.

    ``metric`` names the alert's own measure in words; ``slice_metric`` is the slice
    explorer's metric for it when there is one (an SLO or offline gap on recall:
    recall), else None and the slices are ranked by the focus's share (``measure``).
    ``since``/``until`` is the episode's failing windows known by `now`, never later.
    ``bins`` (drift only) are baseline against current, the bins that grew most first.
    """

    alert_id: int
    model: str
    kind: str
    check: str
    feature: str | None
    slice: dict[str, Any] | None
    metric: str
    slice_metric: str | None
    since: datetime
    until: datetime
    now: datetime
    value: float | None
    threshold: float | None
    focus: Focus
    bins: tuple[Bin, ...] = ()

    @property
    def measure(self) -> str:
        """What the slices are ranked by: the slice metric, else the focus's share."""
        return self.slice_metric or MEASURES[self.focus.kind]

    @property
    def where(self) -> list[str]:
        """The alert's slice as filters, as a person writes them (`region=EU`)."""
        return [f"{k}={slice_value(v)}" for k, v in sorted((self.slice or {}).items())]

    def request(self, spec: Model) -> Request:
        """The slicing request for the episode window and the alert's slice."""
        filters = [Filter(k, slice_value(v)) for k, v in sorted((self.slice or {}).items())]
        return Request(self.model, spec, self.since, self.until, self.now, None, filters)

    def to_json(self) -> dict[str, Any]:
        """The drill-down as `oncall examples --alert ID --json` prints it."""
        return {
            "alert_id": self.alert_id,
            "model": self.model,
            "kind": self.kind,
            "check": self.check,
            "feature": self.feature,
            "slice": self.slice,
            "metric": self.metric,
            "slice_metric": self.slice_metric,
            "measure": self.measure,
            "since": self.since,
            "until": self.until,
            "now": self.now,
            "value": self.value,
            "threshold": self.threshold,
            "focus": self.focus.to_json(),
            "bins": [b.to_json() for b in self.bins],
        }


def drill_for(store: Store, settings: Settings, alert_id: int, now: datetime) -> Drill:
    """The evidence of alert `alert_id` as of `now` (NoSuchAlert if there is none, or if
    it was not yet seen then)."""
    with store.read() as con:
        return drill_in(con, settings, alert_id, now)


def drill_in(
    con: duckdb.DuckDBPyConnection, settings: Settings, alert_id: int, now: datetime
) -> Drill:
    """`drill_for` on an open connection."""
    stored = alert_row(con, alert_id)
    seen = alerts_as_of(con, [stored], now)
    row = seen[0] if seen else stored  # not seen yet: its first window, nothing later
    spec = settings.model(str(row["model"]))
    slice_ = slice_of(row["slice"])
    detail = row.get("detail")
    kind = str(row["kind"])
    since, until = _episode(con, row, settings, spec, now)
    focus, metric, slice_metric, bins = _evidence(con, settings, spec, row, kind, detail)
    return Drill(
        alert_id=int(row["alert_id"]),
        model=str(row["model"]),
        kind=kind,
        check=str(row["check_name"]),
        feature=row["feature"],
        slice=slice_,
        metric=metric,
        slice_metric=slice_metric,
        since=since,
        until=until,
        now=now,
        value=row["value"],
        threshold=row["threshold"],
        focus=focus,
        bins=bins,
    )


def _episode(
    con: duckdb.DuckDBPyConnection,
    row: dict[str, Any],
    settings: Settings,
    spec: Model,
    now: datetime,
) -> tuple[datetime, datetime]:
    """The span of the episode's failing windows as known at `now`: from the first
    failing window's start to the last one's end, never past `now`."""
    # From the start of the window whose end first showed the episode (a monthly SLO's
    # month, not one step before it).
    step = window_reach(settings, spec, str(row["kind"]))
    first, last = row["first_seen"], min(row["last_seen"], now)
    results = fetch_rows(
        con,
        "results_of_episode",
        {
            "fingerprint": row["fingerprint"],
            "start": first - step,
            "end": last + timedelta(microseconds=1),
            "as_of": now,
            "limit": 100_000,
        },
    )
    failing = [r for r in results if r["status"] in FAILING]
    if failing:
        since = min(r["window_start"] for r in failing)
        until = max(r["window_end"] for r in failing)
    else:
        since, until = first - step, last
    return since, max(min(until, now), since + timedelta(seconds=1))


def _evidence(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: Model,
    row: dict[str, Any],
    kind: str,
    detail: Any,
) -> tuple[Focus, str, str | None, tuple[Bin, ...]]:
    """The focus, the measure in words, the slice metric (or None) and the drift bins."""
    feature = row["feature"]
    if kind in ("slo", "offline_gap"):
        metric = _label_metric(row, detail)
        shown = [m for m in METRICS_BY_TASK[spec.task] if m not in CHECKS_ONLY_METRICS]
        slice_metric = metric if metric in shown else primary_metric(spec)
        side = SIDES.get(metric) if spec.task == "binary" else None
        positive = (str(spec.positive),) if side else ()
        return Focus("wrong", None, texts=positive, side=side), metric, slice_metric, ()
    if kind == "completeness":
        return Focus("null", feature), f"null rate of {feature}", None, ()
    if kind == "bounds":
        f = spec.features[feature]
        low = -math.inf if f.min is None else float(f.min)
        high = math.inf if f.max is None else float(f.max)
        focus = Focus("out_of_range", feature, numbers=(low, high))
        return focus, f"out-of-range rate of {feature}", None, ()
    if kind == "allowed_values":
        allowed = tuple(_text(v) for v in spec.features[feature].allowed or [])
        focus = Focus("unexpected", feature, texts=allowed)
        return focus, f"unexpected-value rate of {feature}", None, ()
    if kind in ("drift", "score_drift"):
        column = feature if kind == "drift" else "score"
        view = drift_view(con, settings, {**row, "slice": slice_of(row["slice"])})
        name = _json(detail).get("metric", "drift")
        focus, bins = _shifted(column, view)
        return focus, f"{name} of {column}", None, bins
    if kind == "label_delay":
        return Focus("unlabelled"), "label coverage", None, ()
    if kind == "volume":
        return Focus("all"), "rows per window against the usual", None, ()
    if kind == "freshness":
        return Focus("all"), "hours since the last row", None, ()
    if kind == "distinct":
        return Focus("all", feature), f"distinct values of {feature}", None, ()
    return Focus("all"), kind.replace("_", " "), None, ()


def _label_metric(row: dict[str, Any], detail: Any) -> str:
    """The metric of an SLO or offline-gap alert: its detail's, else its check name's
    (`slo:recall:by=plan`)."""
    metric = _json(detail).get("metric")
    if metric:
        return str(metric)
    return str(row["check_name"]).split(":")[1]


def _json(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, str) and detail:
        loaded = json.loads(detail)
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _text(value: Any) -> str:
    """A category as DuckDB casts it to text (booleans lower-case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _shifted(column: str, view: dict[str, Any] | None) -> tuple[Focus, tuple[Bin, ...]]:
    """The rows in the bins that grew from the baseline to now, and every bin, the ones
    that grew most first."""
    if view is None:
        return Focus("all", column), ()
    labels, base, current = view["labels"], view["baseline"], view["current"]
    bins = [
        Bin(str(lab), float(b), float(c)) for lab, b, c in zip(labels, base, current, strict=True)
    ]
    order = sorted(range(len(bins)), key=lambda i: (-bins[i].shift, i))
    # The bins that grew by at least a quarter of the most any grew: the shift itself,
    # not the small wobble of every other bin.
    most = max((b.shift for b in bins), default=0.0)
    grew = [i for i in order if bins[i].shift > 0 and bins[i].shift >= most / 4]
    ordered = tuple(bins[i] for i in order)
    if view.get("categories") is not None:
        categories = [str(c) for c in view["categories"]]
        texts = tuple(labels[i] if i < len(categories) else "(new)" for i in grew)
        return Focus("bins", column, texts=texts, known=tuple(categories)), ordered
    edges = [float(e) for e in view.get("edges") or []]
    bounds = [-math.inf, *edges, math.inf]
    numbers = tuple(itertools.chain.from_iterable((bounds[i], bounds[i + 1]) for i in grew))
    return Focus("bins", column, numbers=numbers), ordered
