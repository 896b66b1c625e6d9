"""Back-tests against hand-computed answers on small series: ties, an empty history, a
type never acted on, rates graded by their Wilson bound, the volume ratio, a recall
below one; and the surfacing policy's predicate."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_config
from tui.core.checks.baseline import ALERTED_KINDS
from tui.core.checks.results import RATE_Z, grade_above, grade_rate, rate_lower_bound
from tui.core.config.settings import Settings, Surface, load_config
from tui.core.errors import ConfigError
from tui.core.tuning.backtest import neat
from tui.core.tuning.kinds import EARLY_KINDS
from tui.core.tuning.record import Outcome
from tui.core.tuning.rules import COMPLETENESS, DRIFT, VOLUME
from tui.core.tuning.suggest import Tuning, tune_type
from tui.core.tuning.surfacing import held, held_as_it_opened, standing
from tui.core.tuning.writing import diff, edited_text, edits_of
from tui.core.tuning.writing import write_config as write_tuned

CONFIG = """\
store: store.duckdb
alerting: {resolve_after: 1}
models:
  m:
    task: binary
    positive: "1"
    features:
      x: {type: numeric, max_null: 0.01, drift: {warn: 0.1, crit: 0.5}}
"""
T0 = datetime(2026, 11, 1)
# The fields issue 17 names for `tune --json`, per type.
ISSUE_FIELDS = {
    "model",
    "kind",
    "feature",
    "parameter",
    "current",
    "suggested",
    "episodes_now",
    "episodes_suggested",
    "acted_total",
    "acted_kept",
}
DAY = timedelta(days=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_config(write_config(tmp_path, CONFIG))


def series(kind: str, values: list[float | None], **extra: Any) -> list[dict[str, Any]]:
    """Daily results of one fingerprint, graded at the config's current thresholds."""
    out = []
    for i, v in enumerate(values):
        status = "insufficient" if v is None else grade_above(v, 0.1, 0.5)
        out.append(
            {
                "fingerprint": f"fp-{kind}",
                "check_name": f"{kind}:x",
                "kind": kind,
                "feature": "x",
                "slice": None,
                "window_start": T0 + i * DAY,
                "window_end": T0 + (i + 1) * DAY,
                "known_at": T0 + (i + 1) * DAY,
                "value": v,
                "threshold": 0.1,
                "status": status,
                "n": 1000,
                "detail": {"crit": 0.5, **extra},
            }
        )
    return out


def alert(
    alert_id: int, day: int, last_day: int, *, acted: bool = False, noise: bool = False
) -> Outcome:
    """A stored alert over days [day, last_day] (its failing windows' ends)."""
    return Outcome(
        alert_id=alert_id,
        fingerprint="fp-drift",
        model="m",
        kind="drift",
        feature="x",
        slice=None,
        severity="warning",
        state="resolved",
        first_window_start=T0 + day * DAY,
        first_seen=T0 + (day + 1) * DAY,
        last_seen=T0 + (last_day + 1) * DAY,
        resolved_at=T0 + (last_day + 2) * DAY,
        resolved_by=None,
        acted=acted,
        acted_at=T0 + (day + 1) * DAY + timedelta(hours=1) if acted else None,
        noise=noise,
        ignored=not acted and not noise,
    )


# Days 0..7; at warn 0.1 (resolve after one pass) the episodes are {1}, {3, 4}, {6}.
DRIFT_VALUES: list[float | None] = [0.05, 0.2, 0.05, 0.12, 0.12, 0.05, 0.3, 0.05]
DRIFT_ALERTS = [alert(1, 1, 1, noise=True), alert(2, 3, 4), alert(3, 6, 6, acted=True)]


def test_drift_suggestion_is_the_quietest_that_keeps_the_acted_episode(
    settings: Settings,
) -> None:
    t = tune_type(("m", "drift", "x"), series("drift", DRIFT_VALUES), DRIFT_ALERTS, set(), settings)
    assert (t.parameter, t.current, t.episodes_now) == ("drift.warn", 0.1, 3)
    # 0.12 is a tie of two windows: at 0.12 both pass (failing is strictly above), so
    # 0.2 and 0.3 remain; at 0.2 only the acted-on 0.3; at 0.3 nothing fires.
    curve = {p.threshold: (p.episodes, p.acted_kept) for p in t.curve}
    assert curve[0.12] == (2, 1)
    assert curve[0.2] == (1, 1)
    assert curve[0.3] == (0, 0)
    assert (t.suggested, t.episodes_suggested, t.acted_total, t.acted_kept) == (0.2, 1, 1, 1)
    assert t.noise_dropped == 2 and t.lead_lost_minutes == 0
    assert [(c.alert_id, c.outcome) for c in t.changes] == [(1, "noise"), (2, "ignored")]
    assert t.reason == (
        "m/drift/x: at drift.warn 0.2 this would have fired once instead of 3, "
        "missing none of the 1 you acted on"
    )
    assert set(t.to_json()) >= ISSUE_FIELDS


def test_a_type_never_acted_on_gets_the_threshold_that_never_fires(settings: Settings) -> None:
    never = [alert(1, 1, 1, noise=True), alert(2, 3, 4), alert(3, 6, 6, noise=True)]
    t = tune_type(("m", "drift", "x"), series("drift", DRIFT_VALUES), never, set(), settings)
    assert (t.suggested, t.episodes_suggested, t.acted_total, t.acted_kept) == (0.3, 0, 0, 0)
    assert "never acted on in 3 stored episodes" in t.reason


def test_an_alert_that_preceded_a_breach_counts_as_acted_on(settings: Settings) -> None:
    never = [alert(1, 1, 1, noise=True), alert(2, 3, 4), alert(3, 6, 6, noise=True)]
    t = tune_type(("m", "drift", "x"), series("drift", DRIFT_VALUES), never, {2}, settings)
    # The {3, 4} episode (0.12, 0.12) must still fire: nothing at or above 0.12 will do.
    assert (t.acted_total, t.acted_kept) == (1, 1)
    assert t.suggested is not None and 0.1 <= t.suggested < 0.12
    assert t.episodes_suggested == 3


def test_empty_history_and_too_short_history_say_so(settings: Settings) -> None:
    empty = tune_type(("m", "drift", "x"), [], [], set(), settings)
    assert empty.suggested is None and empty.episodes_now == 0
    assert "too little history" in empty.reason
    short = tune_type(("m", "drift", "x"), series("drift", [0.2, 0.05, 0.3]), [], set(), settings)
    assert short.suggested is None and short.episodes_now == 2
    assert "3.0 days judged" in short.reason


def test_insufficient_windows_neither_fire_nor_end_an_episode(settings: Settings) -> None:
    values: list[float | None] = [0.05, 0.2, None, 0.2, 0.05, 0.05, 0.05, 0.05]
    t = tune_type(("m", "drift", "x"), series("drift", values), [], set(), settings)
    assert t.episodes_now == 1  # days 1 and 3 are one episode across the gap


def test_recall_below_one_lets_the_weakest_acted_episode_go(settings: Settings) -> None:
    acted_both = [alert(1, 1, 1, acted=True), alert(2, 3, 4), alert(3, 6, 6, acted=True)]
    rows = series("drift", DRIFT_VALUES)
    full = tune_type(("m", "drift", "x"), rows, acted_both, set(), settings)
    half = tune_type(("m", "drift", "x"), rows, acted_both, set(), settings, recall=0.5)
    assert (full.suggested, full.episodes_suggested, full.acted_kept) == (0.12, 2, 2)
    assert (half.suggested, half.episodes_suggested, half.acted_kept) == (0.2, 1, 1)
    assert "missing 1 of the 2 you acted on" in half.reason


def test_completeness_is_replayed_on_the_wilson_bound_of_the_counts(settings: Settings) -> None:
    # Nulls out of 1000 rows a day; the check grades the 99.9% lower bound, not the rate.
    nulls = [5, 40, 5, 25, 5, 5, 90, 5]
    rows = []
    for i, k in enumerate(nulls):
        rows.append(
            {
                **series("completeness", [0.0])[0],
                "window_start": T0 + i * DAY,
                "window_end": T0 + (i + 1) * DAY,
                "known_at": T0 + (i + 1) * DAY,
                "value": k / 1000,
                "status": grade_rate(k, 1000, 0.01, 0.11),
                "detail": {"nulls": k, "rate_low": rate_lower_bound(k, 1000)},
                "fingerprint": "fp-c",
            }
        )
    bounds = {k: rate_lower_bound(k, 1000, RATE_Z) for k in nulls}
    assert bounds[25] > 0.01 and bounds[5] < 0.01  # at 0.01: days 1, 3, 6 fire
    acted = Outcome(**{**alert(9, 6, 6, acted=True).__dict__, "kind": "completeness"})
    t = tune_type(("m", "completeness", "x"), rows, [acted], set(), settings)
    assert (t.parameter, t.current, t.episodes_now) == ("max_null", 0.01, 3)
    # Candidates are the observed bounds at or above the budget (and the budget itself).
    assert [p.threshold for p in t.curve] == [0.01, bounds[25], bounds[40], bounds[90]]
    # The quietest that keeps day 6 is at day 1's bound (0.0241; day 6's is 0.0644):
    # 0.03 is the shortest number that grades every day the same.
    assert bounds[40] < 0.03 < bounds[90] and t.suggested == 0.03
    assert (t.episodes_suggested, t.acted_kept) == (1, 1)


def test_volume_fails_below_its_ratio_and_a_surge_is_left_alone(settings: Settings) -> None:
    rule = VOLUME
    row = {"status": "warning", "value": 2.6}
    assert rule.grade(row, 0.3) == "warning"  # a surge keeps its max_ratio grade
    assert rule.grade({"status": "warning", "value": 0.4}, 0.3) == "pass"
    assert rule.grade({"status": "pass", "value": 0.1}, 0.3) == "critical"
    assert rule.fails(0.2, 0.3) and not rule.fails(0.3, 0.3)


def test_neat_numbers_grade_the_observed_windows_as_the_chosen_one_does() -> None:
    assert neat(DRIFT, 0.1234, [0.1234, 0.2]) == 0.13
    assert neat(DRIFT, 0.1234, [0.1234, 0.124]) == 0.1234
    assert neat(COMPLETENESS, 0.0283, [0.0283, 0.05]) == 0.03
    assert neat(VOLUME, 0.437, [0.2, 0.437]) == 0.4


def test_tuning_json_carries_the_issue_fields(settings: Settings) -> None:
    t = tune_type(("m", "drift", "x"), series("drift", DRIFT_VALUES), DRIFT_ALERTS, set(), settings)
    assert isinstance(t, Tuning)
    json.dumps(t.to_json())


# ---------------------------------------------------------------- surfacing


def history(acts: list[bool], kind: str = "drift") -> list[Outcome]:
    return [
        Outcome(**{**alert(i + 1, i, i, acted=a).__dict__, "kind": kind})
        for i, a in enumerate(acts)
    ]


def test_a_type_below_the_bar_is_held_and_an_act_surfaces_it_again() -> None:
    policy = Surface(min_acted_share=0.1, last=20, min_episodes=5)
    at = T0 + 40 * DAY
    quiet = history([False] * 12)
    assert standing(policy, quiet, at).held
    assert held(policy, "drift", "warning", False, quiet, at)
    # Critical, acted on itself, or about performance: never held.
    assert not held(policy, "drift", "critical", False, quiet, at)
    assert not held(policy, "drift", "warning", True, quiet, at)
    assert not held(policy, "slo", "warning", False, history([False] * 12, "slo"), at)
    assert not held(None, "drift", "warning", False, quiet, at)
    # Someone acts on the latest: the count starts there, 1 of 1, surfaced.
    acted_last = history([False] * 11 + [True])
    assert not standing(policy, acted_last, at).held
    # Four fewer than min_episodes: a new type is surfaced.
    assert not standing(policy, history([False] * 4), at).held
    # One act in the last ten (10%) meets the bar; nine passes after it still do.
    assert not standing(policy, history([True] + [False] * 9), at).held
    assert standing(policy, history([True] + [False] * 10), at).held


def test_held_as_it_opened_judges_each_alert_on_the_record_before_it() -> None:
    policy = Surface(min_acted_share=0.5, last=4, min_episodes=2)
    outcomes = history([False, False, False, True, False])
    # #1 and #2 open with fewer than 2 before them; #3 and #4 with 2 and 3 unacted
    # ones; #5 after #4 was acted on (count restarts at #4: 1 of 1).
    assert held_as_it_opened(policy, outcomes) == {3, 4}


# ---------------------------------------------------------------- writing


WRITABLE = """\
# the team's config: comments stay
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    features:
      x: {type: numeric, max_null: 0.01}   # flow style stays
      y: {type: numeric}
checks:
  drift: {warn: 0.1, crit: 0.25}
"""


def _tuning(kind: str, feature: str | None, key: str, current: float, suggested: float) -> Tuning:
    return Tuning(
        model="m",
        kind=kind,
        feature=feature,
        parameter=key.rsplit(".", 1)[-1],
        key=key,
        current=current,
        suggested=suggested,
        episodes_now=10,
        episodes_suggested=1,
        acted_total=1,
        acted_kept=1,
        noise_total=9,
        noise_dropped=9,
        lead_lost_minutes=0,
        days=20,
        reason="",
    )


def test_writing_keeps_comments_and_layout_lifts_crit_and_pins_shared_warns(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, WRITABLE)
    settings = load_config(path)
    tunings = [
        _tuning("completeness", "x", "models.m.features.x.max_null", 0.01, 0.05),
        _tuning("drift", "x", "models.m.features.x.drift.warn", 0.1, 0.4),
        _tuning("score_drift", None, "models.m.checks.drift.warn", 0.1, 0.2),
    ]
    edits = edits_of(tunings, settings)
    keys = {e.key: e.value for e in edits}
    assert keys == {
        "models.m.features.x.max_null": 0.05,
        "models.m.features.x.drift.warn": 0.4,
        "models.m.features.x.drift.crit": 1.0,  # lifted above warn, ratio 2.5 kept
        "models.m.checks.drift.warn": 0.2,
        "models.m.features.y.drift.warn": 0.1,  # y shared the model's warn: pinned
    }
    before, after = edited_text(path, edits)
    assert before == WRITABLE
    assert "# the team's config: comments stay" in after and "# flow style stays" in after
    assert "x: {type: numeric, max_null: 0.05, drift: {warn: 0.4, crit: 1.0}}" in after
    text = diff(path, before, after)
    assert text.startswith(f"--- {path}") and "-      x: {type: numeric, max_null: 0.01}" in text
    write_tuned(path, after)
    tuned = load_config(path).config.models["m"]
    assert tuned.features["x"].max_null == 0.05
    assert tuned.checks.drift.warn == 0.2 and tuned.features["y"].drift is not None


def test_a_written_config_that_would_not_load_leaves_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, WRITABLE)
    broken = WRITABLE.replace("max_null: 0.01", "max_null: 7")
    with pytest.raises(ConfigError, match="nothing written"):
        write_tuned(path, broken)
    assert path.read_text(encoding="utf-8") == WRITABLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oncall.yaml"]


def test_episodes_follow_the_configs_resolve_after(tmp_path: Path) -> None:
    slow = load_config(
        write_config(tmp_path, CONFIG.replace("resolve_after: 1", "resolve_after: 2"))
    )
    t = tune_type(("m", "drift", "x"), series("drift", DRIFT_VALUES), [], set(), slow)
    # One passing day between failures no longer ends an episode: days 1 to 6 are one.
    assert t.episodes_now == 1
    curve = {p.threshold: p.episodes for p in t.curve}
    # At 0.12 only days 1 and 6 fail, four passing days apart: two episodes.
    assert curve[0.12] == 2 and curve[0.2] == 1 and curve[0.3] == 0


def test_early_kinds_are_the_drift_and_data_quality_families() -> None:
    assert frozenset(ALERTED_KINDS) == EARLY_KINDS


def test_the_back_test_bar_counts_types_up_to_its_total() -> None:
    from tui.cli.tune import TypeProgress

    calls: list[tuple[str, int, int | None]] = []
    heard = TypeProgress(lambda desc, n=0, total=None: calls.append((desc, n, total)))
    names = ["m/completeness/x", "m/drift/x", "m/volume"]
    for i, name in enumerate(names):
        heard(i, len(names), name)
    heard.finish()
    assert [c[2] for c in calls] == [3, 3, 3, 3]  # the total is the number of types
    assert sum(c[1] for c in calls) == 3  # and the bar ends at 3/3
    assert [c[1] for c in calls] == [0, 1, 1, 1]
    assert calls[1][0] == "back-testing m/drift/x (2 of 3)"
    empty = TypeProgress(lambda *a, **k: calls.append(("never", 0, None)))
    empty.finish()  # no type at all: nothing to count
    assert calls[-1][0] != "never"


def test_lead_indicators_are_read_again_only_when_the_store_changed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.core.store.connection import Store
    from tui.core.tuning import lead
    from tui.core.tuning.record import read_outcomes

    settings = load_config(project / "oncall.yaml")
    store = Store(settings.store_path)
    store.ensure()
    reads: list[int] = []

    def counted(con: Any) -> list[Outcome]:
        reads.append(1)
        return read_outcomes(con)

    monkeypatch.setattr(lead, "read_outcomes", counted)
    cache = lead.LeadCache()
    first = cache.get(store)
    assert cache.get(store) is first
    assert len(reads) == 1  # the second reload found the store unchanged
    with store.write():
        pass  # any write moves the change counter
    cache.get(store)
    assert len(reads) == 2
    cache.get(store)
    assert len(reads) == 2
