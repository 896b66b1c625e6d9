"""The alert state machine on its own, no store: episodes, localisation, spans, rates, kinds.

Each part is fed small hand-made inputs whose answer is worked out in the test, so a
change in behaviour (not only a crash) fails here, before any store or demo is built.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import binomtest, norm

from tui.core.alerts.episodes import Episode, episodes_of
from tui.core.checks.evaluate import plan_spans
from tui.core.checks.kinds import KINDS, REGISTRY, detection_tolerance
from tui.core.checks.results import (
    LOCAL_FACTOR,
    RATE_Z,
    Result,
    Status,
    grade_rate,
    localize,
    rate_lower_bound,
)
from tui.core.checks.spans import Span, due_span
from tui.core.config.settings import Settings, load_config

T0 = datetime(2026, 11, 20)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# --- episodes -------------------------------------------------------------------------


def _series(*statuses: str, values: list[float | None] | None = None) -> list[dict[str, Any]]:
    """One result per hour from T0, with the given statuses (and values, threshold 0.1)."""
    out = []
    for i, status in enumerate(statuses):
        value = values[i] if values is not None else 0.5
        out.append(
            {
                "window_start": T0 + i * HOUR,
                "window_end": T0 + (i + 1) * HOUR,
                "status": status,
                "value": value,
                "threshold": 0.1,
                "index": i,
            }
        )
    return out


def _indexes(episode: Episode) -> list[int]:
    return [w["index"] for w in episode.windows]


def test_a_failing_window_opens_an_episode_that_counts_the_failures_after_it() -> None:
    series = _series("pass", "warning", "critical", "warning")
    [episode] = episodes_of(series, resolve_after=3, cuts=[])
    assert episode.first["index"] == 1
    assert _indexes(episode) == [1, 2, 3]
    assert episode.resolved_at is None
    assert episode.manual is False


def test_passing_windows_alone_open_nothing() -> None:
    assert episodes_of(_series("pass", "covered", "insufficient", "pass"), 1, []) == []


def test_insufficient_windows_neither_continue_nor_end_an_episode() -> None:
    # Not counted as failures: the episode keeps only its two failing windows.
    [episode] = episodes_of(_series("critical", "insufficient", "critical"), 1, [])
    assert _indexes(episode) == [0, 2]
    assert episode.resolved_at is None
    # Not counted as passes, and not resetting the passes seen so far: with
    # resolve_after=2 the episode resolves at the second *pass* (window 3), not at the
    # insufficient one (window 2) and not later.
    [episode] = episodes_of(_series("critical", "pass", "insufficient", "pass"), 2, [])
    assert episode.resolved_at == T0 + 4 * HOUR
    assert episode.manual is False


def test_an_episode_resolves_after_resolve_after_passing_windows() -> None:
    series = _series("critical", "pass", "pass", "warning", "pass", "covered", "pass", "warning")
    first, second = episodes_of(series, resolve_after=3, cuts=[])
    # Two passes are not enough; the failure at 3 continues the first episode and
    # restarts the count; covered counts as passing.
    assert _indexes(first) == [0, 3]
    assert first.resolved_at == series[6]["window_end"]
    assert first.manual is False
    assert _indexes(second) == [7]
    assert second.resolved_at is None


def test_resolve_after_one_resolves_at_the_first_pass() -> None:
    first, second = episodes_of(_series("warning", "pass", "warning"), 1, [])
    assert first.resolved_at == T0 + 2 * HOUR
    assert _indexes(second) == [2]


def test_a_manual_resolve_cuts_the_episode_and_a_later_failure_starts_a_new_one() -> None:
    series = _series("critical", "critical", "critical")
    cut = T0 + HOUR + timedelta(minutes=30)  # after window 0 ended, before window 1 ends
    first, second = episodes_of(series, resolve_after=3, cuts=[cut])
    assert _indexes(first) == [0]
    assert first.resolved_at == cut
    assert first.manual is True
    assert _indexes(second) == [1, 2]
    assert second.resolved_at is None


def test_a_manual_resolve_after_the_last_window_closes_the_open_episode() -> None:
    cut = T0 + 5 * HOUR
    [episode] = episodes_of(_series("warning", "warning"), 3, [cut])
    assert episode.resolved_at == cut
    assert episode.manual is True


def test_a_cut_before_an_episode_does_not_touch_it() -> None:
    # The cut ended an earlier episode; a failure much later is not resolved by it.
    series = _series("pass", "pass", "warning", "warning")
    [episode] = episodes_of(series, 3, [T0 + timedelta(minutes=30)])
    assert _indexes(episode) == [2, 3]
    assert episode.resolved_at is None
    assert episode.manual is False


def test_severity_is_the_worst_status_and_worst_the_widest_gap() -> None:
    series = _series("warning", "warning", "warning", values=[0.2, 0.9, 0.4])
    [episode] = episodes_of(series, 3, [])
    assert episode.severity == "warning"
    assert episode.worst["index"] == 1  # |0.9 - 0.1| is the widest gap
    # A critical window is worse than any warning, however far the warning is.
    series = _series("warning", "critical", "warning", values=[0.9, 0.2, None])
    [episode] = episodes_of(series, 3, [])
    assert episode.severity == "critical"
    assert episode.worst["index"] == 1


# --- localisation ---------------------------------------------------------------------


def _result(
    slice_: dict[str, str] | None,
    status: Status,
    value: float | None,
    *,
    check: str = "nulls",
    feature: str | None = "amount",
    start: datetime = T0,
    **detail: Any,
) -> Result:
    return Result(
        model="fraud",
        check=check,
        kind="completeness",
        feature=feature,
        slice=slice_,
        window_start=start,
        window_end=start + HOUR,
        value=value,
        threshold=0.01,
        status=status,
        n=1000,
        detail=dict(detail),
    )


def test_a_slice_no_worse_than_overall_is_covered() -> None:
    overall = _result(None, "critical", 0.10)
    near = _result({"tier": "gold"}, "critical", 0.10 * (LOCAL_FACTOR - 0.01))
    localize([overall, near])
    assert near.status == "covered"
    assert near.detail["covered_by"] == "overall"
    assert overall.status == "critical"


def test_a_clearly_worse_slice_keeps_its_failure() -> None:
    overall = _result(None, "warning", 0.10)
    worse = _result({"region": "EU"}, "critical", 0.10 * (LOCAL_FACTOR + 0.01))
    localize([overall, worse])
    assert worse.status == "critical"
    assert "covered_by" not in worse.detail


def test_a_failing_slice_under_a_passing_overall_keeps_its_result() -> None:
    overall = _result(None, "pass", 0.001)
    local = _result({"region": "EU"}, "warning", 0.0011)
    localize([overall, local])
    assert local.status == "warning"
    assert "covered_by" not in local.detail


def test_only_the_same_check_feature_and_window_cover_a_slice() -> None:
    overall = _result(None, "critical", 0.10)
    other_window = _result({"tier": "gold"}, "critical", 0.10, start=T0 + HOUR)
    other_feature = _result({"tier": "gold"}, "critical", 0.10, feature="country")
    same = _result({"tier": "gold"}, "critical", 0.10)
    localize([overall, other_window, other_feature, same])
    assert (other_window.status, other_feature.status, same.status) == (
        "critical",
        "critical",
        "covered",
    )


def test_rate_checks_are_judged_by_their_lower_bound() -> None:
    overall = _result(None, "warning", 0.10, check="bounds")
    # A small slice: its rate is high but its lower bound is not clearly worse.
    small = _result({"tier": "gold"}, "critical", 0.60, check="bounds", rate_low=0.12)
    # A large slice whose lower bound is clearly worse keeps its failure.
    large = _result({"tier": "basic"}, "critical", 0.60, check="bounds", rate_low=0.55)
    localize([overall, small, large])
    assert small.status == "covered"
    assert large.status == "critical"


# --- spans ----------------------------------------------------------------------------

SPAN_CONFIG = """\
store: store.duckdb
models:
  fraud:
    task: binary
    positive: "1"
    slices: [region]
    features:
      amount: {type: numeric, min: 0}
    labels: {expected_delay: 2d}
    slos:
      - {metric: f1, min: 0.8, window: 6h}
      - {metric: recall, min: 0.7, window: 1d}
  price:
    task: regression
    features:
      rooms: {type: numeric, min: 1}
    labels: {expected_delay: 1d}
checks:
  window: 2h
  freshness: {max_lag: 3h}
  drift: {window: 12h}
  offline_gap: {window: 3d}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    path = tmp_path / "oncall.yaml"
    path.write_text(SPAN_CONFIG, encoding="utf-8")
    return load_config(path)


NOW = datetime(2026, 11, 26, 4, 30)
FIRST = datetime(2026, 11, 20, 9, 15)


def test_due_span_starts_at_the_first_data_and_ends_at_the_last_complete_window() -> None:
    span = due_span("completeness", HOUR, FIRST, {}, NOW, None, None)
    assert span == Span(datetime(2026, 11, 20, 9), datetime(2026, 11, 26, 4), HOUR)
    assert span.windows()[:2] == [datetime(2026, 11, 20, 9), datetime(2026, 11, 20, 10)]
    assert len(span.windows()) == 5 * 24 + 19
    assert span.step_seconds == 3600


def test_due_span_starts_at_the_watermark() -> None:
    mark = datetime(2026, 11, 26, 1)
    span = due_span(
        "completeness", HOUR, FIRST, {"completeness": mark, "drift": FIRST}, NOW, None, None
    )
    assert span.windows() == [mark, mark + HOUR, mark + 2 * HOUR]
    # Caught up: nothing is due.
    caught_up = due_span(
        "completeness", HOUR, FIRST, {"completeness": NOW - HOUR / 2}, NOW, None, None
    )
    assert caught_up.empty
    assert caught_up.windows() == []


def test_since_and_until_bound_the_span() -> None:
    marks = {"completeness": datetime(2026, 11, 25)}
    span = due_span(
        "completeness",
        HOUR,
        FIRST,
        marks,
        NOW,
        since=datetime(2026, 11, 21, 3, 40),
        until=datetime(2026, 11, 21, 6, 10),
    )
    # `since` wins over the watermark (re-check on request); `until` is rounded up.
    assert span.start == datetime(2026, 11, 21, 3)
    assert span.end == datetime(2026, 11, 21, 7)
    # `until` never reaches past what is complete by now.
    late = due_span("completeness", HOUR, FIRST, marks, NOW, None, until=NOW + DAY)
    assert late.end == datetime(2026, 11, 26, 4)


def test_label_lag_holds_back_the_end() -> None:
    span = due_span("label_delay", DAY, FIRST, {}, NOW, None, None, lag=2 * DAY)
    assert span.start == datetime(2026, 11, 20)
    assert span.end == datetime(2026, 11, 24)  # floor(NOW - 2d) to the day


def test_the_horizon_re_evaluates_recent_windows_but_not_before_the_first_data() -> None:
    mark = {"slo": datetime(2026, 11, 26)}
    span = due_span("slo", DAY, FIRST, mark, NOW, None, None, horizon=4 * DAY)
    assert span.start == datetime(2026, 11, 22)  # floor(NOW - 4d), before the watermark
    far = due_span("slo", DAY, FIRST, mark, NOW, None, None, horizon=30 * DAY)
    assert far.start == datetime(2026, 11, 20)  # not before the first data
    # A watermark older than the horizon is kept: nothing due is skipped.
    old = due_span("slo", DAY, FIRST, {"slo": datetime(2026, 11, 21)}, NOW, None, None, horizon=DAY)
    assert old.start == datetime(2026, 11, 21)


def test_capped_runs_always_move_on_even_with_a_horizon_wider_than_the_cap() -> None:
    """A re-check horizon of more windows than one run may take must not make every run
    take the same earliest slice: behind, runs walk forward; caught up, they take the
    newest windows; each run ends after its watermark, so running again ends."""
    now = datetime(2026, 11, 26)
    marks: dict[str, datetime] = {}
    runs = 0
    while True:
        span = due_span("slo", HOUR, FIRST, marks, now, None, None, horizon=4 * DAY, max_windows=10)
        runs += 1
        assert (span.end - span.start) // HOUR <= 10
        assert span.end > marks.get("slo", FIRST)
        marks["slo"] = span.end
        if span.remaining == 0:
            break
        assert runs < 200
    assert marks["slo"] == now
    caught_up = due_span(
        "slo", HOUR, FIRST, marks, now, None, None, horizon=4 * DAY, max_windows=10
    )
    assert (caught_up.start, caught_up.end, caught_up.remaining) == (now - 10 * HOUR, now, 0)


def test_plan_spans_gives_score_drift_to_binary_models_only(settings: Settings) -> None:
    fraud = plan_spans(settings, settings.model("fraud"), FIRST, {}, NOW)
    price = plan_spans(settings, settings.model("price"), FIRST, {}, NOW)
    assert set(fraud) == set(KINDS)
    assert "score_drift" in fraud
    assert set(price) == set(KINDS) - {"score_drift"}


def test_plan_spans_uses_each_kinds_step_lag_and_horizon(settings: Settings) -> None:
    fraud = settings.model("fraud")
    marks = {k: datetime(2026, 11, 26) for k in KINDS}
    spans = plan_spans(settings, fraud, FIRST, marks, NOW)
    two_hours = 2 * HOUR
    assert spans["completeness"] == Span(
        datetime(2026, 11, 26), datetime(2026, 11, 26, 4), two_hours
    )
    # Drift is judged every check window (over the trailing 12h drift window), no
    # longer once per drift window: the same span as the data-quality kinds.
    assert spans["drift"] == spans["completeness"]
    assert spans["score_drift"] == spans["completeness"]
    # Label delay waits for the expected delay (2d) before judging a day.
    assert spans["label_delay"].step == DAY
    assert spans["label_delay"].end == datetime(2026, 11, 24)
    # SLOs step by their shortest window (6h) and look back twice the delay (4d).
    assert spans["slo"] == Span(datetime(2026, 11, 22), datetime(2026, 11, 26), 6 * HOUR)
    assert spans["offline_gap"].step == 3 * DAY
    # `since` and `until` reach every kind.
    bounded = plan_spans(
        settings,
        fraud,
        FIRST,
        marks,
        NOW,
        since=datetime(2026, 11, 21),
        until=datetime(2026, 11, 21, 3),
    )
    assert bounded["completeness"] == Span(
        datetime(2026, 11, 21), datetime(2026, 11, 21, 4), two_hours
    )


# --- rate grading ---------------------------------------------------------------------


def _wilson_low(bad: int, n: int, level: float) -> float:
    """The independent oracle: scipy's Wilson interval (no continuity correction)."""
    return float(binomtest(bad, n).proportion_ci(confidence_level=level, method="wilson").low)


@pytest.mark.parametrize(
    ("bad", "n"), [(1, 1), (1, 10), (3, 40), (7, 7), (50, 1000), (999, 1000), (1, 100000)]
)
def test_rate_lower_bound_is_the_wilson_interval(bad: int, n: int) -> None:
    assert rate_lower_bound(bad, n) == pytest.approx(_wilson_low(bad, n, 0.95), rel=1e-9, abs=1e-12)
    # RATE_Z is 3.2905 (rounded): compare at exactly its level, then at 99.9% within
    # what the rounding moves.
    level = float(2 * norm.cdf(RATE_Z) - 1)
    assert rate_lower_bound(bad, n, RATE_Z) == pytest.approx(
        _wilson_low(bad, n, level), rel=1e-9, abs=1e-12
    )
    assert rate_lower_bound(bad, n, RATE_Z) == pytest.approx(_wilson_low(bad, n, 0.999), rel=1e-4)


def test_rate_lower_bound_edges() -> None:
    assert rate_lower_bound(0, 0) == 0.0
    assert rate_lower_bound(5, 0) == 0.0
    assert rate_lower_bound(0, 500) == 0.0 == _wilson_low(0, 500, 0.95)
    # All bad: the bound is below one but well above a half for a fair sample.
    assert rate_lower_bound(200, 200) == pytest.approx(_wilson_low(200, 200, 0.95), rel=1e-9)
    assert 0.95 < rate_lower_bound(200, 200) < 1.0


def test_rate_z_is_the_two_sided_999_level() -> None:
    assert pytest.approx(float(norm.ppf(1 - 0.001 / 2)), abs=1e-4) == RATE_Z


def _expected_grade(bad: int, n: int, warn: float, crit: float) -> Status:
    if n == 0:
        return "insufficient"
    if bad == 0:
        return "pass"
    low = _wilson_low(bad, n, 0.999)
    return "critical" if low > crit else "warning" if low > warn else "pass"


@pytest.mark.parametrize(
    ("bad", "n"),
    [
        (0, 0),
        (0, 10),
        (0, 100000),
        (1, 1),
        (1, 10),
        (3, 100),
        (10, 1000),
        (30, 1000),
        (200, 10000),
        (5000, 10000),
        (40, 40),
    ],
)
def test_grade_rate_agrees_with_the_oracle_at_999(bad: int, n: int) -> None:
    warn, crit = 0.001, 0.01
    if n and bad:
        low = _wilson_low(bad, n, 0.999)
        assert min(abs(low - warn), abs(low - crit)) > 1e-6, "case too close to a threshold"
    assert grade_rate(bad, n, warn, crit) == _expected_grade(bad, n, warn, crit)


def test_grade_rate_named_cases() -> None:
    assert grade_rate(0, 0, 0.001, 0.01) == "insufficient"
    assert grade_rate(0, 50, 0.001, 0.01) == "pass"
    # One bad row in a small slice is not an alert, though its raw rate (10%) is twice
    # the warning budget...
    assert grade_rate(1, 10, 0.05, 0.2) == "pass"
    assert grade_rate(1, 100, 0.001, 0.01) == "pass"
    # ...while a real excess is, at any size.
    assert grade_rate(30, 100, 0.05, 0.2) == "warning"
    assert grade_rate(60, 100, 0.05, 0.2) == "critical"
    assert grade_rate(10, 10, 0.05, 0.2) == "critical"
    assert grade_rate(10, 1000, 0.001, 0.01) == "warning"
    assert grade_rate(50, 1000, 0.001, 0.01) == "critical"
    # At 95% this would already be a warning: the 99.9% level is what keeps it quiet.
    assert _wilson_low(3, 1000, 0.95) > 0.001
    assert grade_rate(3, 1000, 0.001, 0.01) == "pass"


# --- the kind registry ----------------------------------------------------------------


def test_every_kind_has_a_step_tolerance_and_evaluator(settings: Settings) -> None:
    assert set(KINDS) == set(REGISTRY)
    assert len(KINDS) >= 12
    for name in KINDS:
        kind = REGISTRY[name]
        assert kind.name == name
        assert callable(kind.family.evaluate), name
        for model_name in ("fraud", "price"):
            model = settings.model(model_name)
            step = kind.step(settings, model)
            assert isinstance(step, timedelta) and step > timedelta(0), name
            tolerance = detection_tolerance(settings, model, name)
            # An alert cannot be seen before its first window is complete.
            assert tolerance >= step, name
            assert kind.lag(settings, model) >= timedelta(0), name
    assert [k for k in KINDS if REGISTRY[k].binary_only] == ["score_drift"]
    # The kinds judged on the short data-quality window (the config's windows differ).
    fraud = settings.model("fraud")
    window = settings.config.checks.window
    assert {k for k in KINDS if REGISTRY[k].step(settings, fraud) == window} == {
        "schema",
        "completeness",
        "bounds",
        "allowed_values",
        "distinct",
        "volume",
        "freshness",
        # Judged every check window over the trailing drift window (12h here).
        "drift",
        "score_drift",
    }


def test_detection_tolerance_per_kind(settings: Settings) -> None:
    fraud = settings.model("fraud")
    price = settings.model("price")
    expected = {
        "schema": 2 * HOUR,
        "completeness": 2 * HOUR,
        "bounds": 2 * HOUR,
        "allowed_values": 2 * HOUR,
        "volume": 2 * HOUR,
        "distinct": 8 * HOUR,  # four windows, to tell vanished from rare
        "freshness": 5 * HOUR,  # a window plus the allowed lag
        # Judged every 2h over the trailing 12h: half the drift window (a planted,
        # strong shift shows well within it; it was the whole window when drift was
        # judged only as each drift window closed).
        "drift": 6 * HOUR,
        "score_drift": 6 * HOUR,
        "label_delay": 3 * DAY,  # a day plus the expected delay
        "slo": 6 * HOUR + 2 * DAY,  # the shortest SLO window plus the delay
        "offline_gap": 5 * DAY,
        # No label wait: one window of its SLOs (none here: a day).
        "estimated_slo": DAY,
    }
    assert {k: detection_tolerance(settings, fraud, k) for k in KINDS} == expected
    # Label-dependent kinds follow the model's own delay.
    assert detection_tolerance(settings, price, "label_delay") == 2 * DAY
    assert detection_tolerance(settings, price, "slo") == 2 * DAY  # no SLO: one day
    assert detection_tolerance(settings, price, "offline_gap") == 4 * DAY
