"""The kinds of check, each in one place: its step, lag, how far back labels may still
change it, how long after an incident it can first be seen, and its evaluator.

A family is what one evaluator produces from one read of the data (completeness,
bounds and allowed values come from the same grouped scan); kinds of a family are
evaluated together over the span of the family's first kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.checks import drift, estimated, labelled, quality
from tui.core.checks.context import Evaluator
from tui.core.checks.spans import Span, due_span
from tui.core.config.settings import ESTIMATED_PREFIX, Model, Settings
from tui.core.config.times import Months, Period, period_longest

Timing = Callable[[Settings, Model], timedelta]
Stepping = Callable[[Settings, Model], Period]


@dataclass(frozen=True)
class Family:
    """Kinds one evaluator produces together."""

    name: str  # what a progress bar says while it runs
    evaluate: Evaluator
    needs_baseline: bool = False


@dataclass(frozen=True)
class Kind:
    """One kind of check."""

    name: str
    family: Family
    step: Stepping  # a duration or calendar months
    tolerance: Timing  # how long after an incident starts its alert can first be seen
    lag: Timing = lambda _s, _m: timedelta(0)  # a window is judged only this long after it
    horizon: Callable[[Settings, Model], timedelta | None] = lambda _s, _m: None
    binary_only: bool = False

    def applies(self, model: Model) -> bool:
        """Whether the model gets this kind at all."""
        return model.task == "binary" or not self.binary_only

    def due(
        self,
        settings: Settings,
        model: Model,
        first_ts: datetime,
        watermarks: dict[str, datetime],
        now: datetime,
        since: datetime | None = None,
        until: datetime | None = None,
        max_windows: int | None = None,
    ) -> Span:
        """The windows of this kind due for the model now (see ``due_span``)."""
        return due_span(
            self.name,
            self.step(settings, model),
            first_ts,
            watermarks,
            now,
            since,
            until,
            lag=self.lag(settings, model),
            horizon=self.horizon(settings, model),
            max_windows=max_windows,
        )


def _window(_settings: Settings, model: Model) -> Period:
    return model.checks.window


def _longest(_settings: Settings, model: Model) -> timedelta:
    # A window of calendar months lasts at most 31 days a month.
    return period_longest(model.checks.window)


def _drift_tolerance(_settings: Settings, model: Model) -> timedelta:
    # Drift is judged every check window over the trailing drift window: a strong
    # shift crosses the thresholds once a fraction of that span holds it, a weak one
    # only when most of it does. Planted incidents are strong: half the span, and
    # never less than a few check windows.
    return max(period_longest(model.checks.drift.window) / 2, 3 * _longest(_settings, model))


def _delay(_settings: Settings, model: Model) -> timedelta:
    return model.labels.expected_delay


def _relabel_horizon(_settings: Settings, model: Model) -> timedelta:
    # Labels keep arriving for about twice their expected delay: re-judge that far back.
    return 2 * model.labels.expected_delay


def _slo_step(_settings: Settings, model: Model) -> timedelta:
    # The shortest fixed window; SLOs over longer windows or calendar months are
    # judged as those windows end within the span (labelled.window_span).
    slos = [s for s in model.slos if not s.metric.startswith(ESTIMATED_PREFIX)]
    fixed = [s.window for s in slos if isinstance(s.window, timedelta)]
    return min(fixed, default=timedelta(days=1))


def _slo_tolerance(settings: Settings, model: Model) -> timedelta:
    # An incident is seen once the shortest SLO window holding it ends and is labelled
    # (a calendar month: up to 31 days).
    slos = [s for s in model.slos if not s.metric.startswith(ESTIMATED_PREFIX)]
    shortest = min((period_longest(s.window) for s in slos), default=_slo_step(settings, model))
    return shortest + model.labels.expected_delay


def _estimated_slo_step(_settings: Settings, model: Model) -> timedelta:
    # The shortest fixed window; estimated SLOs over calendar months are judged as the
    # months end within the span (estimated.evaluate_estimated_slos).
    slos = [s for s in model.slos if s.metric.startswith(ESTIMATED_PREFIX)]
    fixed = [s.window for s in slos if isinstance(s.window, timedelta)]
    return min(fixed, default=timedelta(days=1))


def _estimated_slo_tolerance(_settings: Settings, model: Model) -> timedelta:
    # Judged as the shortest window ends (a calendar month: up to 31 days).
    slos = [s for s in model.slos if s.metric.startswith(ESTIMATED_PREFIX)]
    return min((period_longest(s.window) for s in slos), default=timedelta(days=1))


def _gap_step(_settings: Settings, model: Model) -> Period:
    return model.checks.offline_gap.window


def _gap_tolerance(_settings: Settings, model: Model) -> timedelta:
    return period_longest(model.checks.offline_gap.window) + model.labels.expected_delay


def _day(_settings: Settings, _model: Model) -> timedelta:
    return timedelta(days=1)


DATA_QUALITY = Family("data quality", quality.evaluate_rows)
VOLUME = Family("data quality", quality.evaluate_volume)
DISTINCT = Family("data quality", quality.evaluate_distinct, needs_baseline=True)
SCHEMA = Family("data quality", quality.evaluate_schema)
DRIFT = Family("drift", drift.evaluate_drift, needs_baseline=True)
SCORE_DRIFT = Family("drift", drift.evaluate_score_drift, needs_baseline=True)
LABEL_DELAY = Family("labels", labelled.evaluate_label_delay)
SLO = Family("labels", labelled.evaluate_slos)
OFFLINE_GAP = Family("labels", labelled.evaluate_offline_gap)
ESTIMATED_SLO = Family("estimates", estimated.evaluate_estimated_slos)

REGISTRY: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("schema", SCHEMA, _window, _longest),
        Kind("completeness", DATA_QUALITY, _window, _longest),
        Kind("bounds", DATA_QUALITY, _window, _longest),
        Kind("allowed_values", DATA_QUALITY, _window, _longest),
        # Enough rows must come to tell that a category vanished rather than was rare.
        Kind("distinct", DISTINCT, _window, lambda s, m: _longest(s, m) * 4),
        Kind("volume", VOLUME, _window, _longest),
        Kind(
            "freshness",
            VOLUME,
            _window,
            lambda s, m: _longest(s, m) + m.checks.freshness.max_lag,
        ),
        # Judged every check window, each over the trailing `checks.drift.window`.
        Kind("drift", DRIFT, _window, _drift_tolerance),
        Kind("score_drift", SCORE_DRIFT, _window, _drift_tolerance, binary_only=True),
        Kind(
            "label_delay",
            LABEL_DELAY,
            _day,
            lambda s, m: timedelta(days=1) + m.labels.expected_delay,
            lag=_delay,
        ),
        Kind(
            "slo",
            SLO,
            _slo_step,
            _slo_tolerance,
            horizon=_relabel_horizon,
        ),
        # Judged as each window ends, from the estimate; judged again while its labels
        # arrive, to record whether the estimate was right.
        Kind(
            "estimated_slo",
            ESTIMATED_SLO,
            _estimated_slo_step,
            _estimated_slo_tolerance,
            horizon=_relabel_horizon,
        ),
        Kind(
            "offline_gap",
            OFFLINE_GAP,
            _gap_step,
            _gap_tolerance,
            horizon=_relabel_horizon,
        ),
    )
}

KINDS = tuple(REGISTRY)


def window_reach(settings: Settings, model: Model, kind: str) -> timedelta:
    """The longest window a result of ``kind`` covers: its step, or for SLOs the
    longest SLO window (a calendar month at most 31 days), judged as it ends; for
    estimated SLOs, judged every step, the longest of their calendar months."""
    step = period_longest(REGISTRY[kind].step(settings, model))
    if kind == "estimated_slo":
        slos = [s for s in model.slos if s.metric.startswith(ESTIMATED_PREFIX)]
        return max(
            [step, *(period_longest(s.window) for s in slos if isinstance(s.window, Months))]
        )
    if kind != "slo":
        return step
    slos = [s for s in model.slos if not s.metric.startswith(ESTIMATED_PREFIX)]
    return max([step, *(period_longest(s.window) for s in slos)])


def detection_tolerance(settings: Settings, model: Model, kind: str) -> timedelta:
    """How long after an incident starts its alert can first be seen: one window of the
    kind, plus what the kind must wait for (labels to arrive; enough rows to tell that
    a category vanished rather than was merely rare this hour; for freshness, the lag
    itself)."""
    return REGISTRY[kind].tolerance(settings, model)
