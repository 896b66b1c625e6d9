"""Checks on the demo: every planted incident is caught, and little else fires."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_NOW
from tests.helpers import cli
from tui.core.alerts.reading import list_alerts, show_alert
from tui.core.config.settings import load_config
from tui.core.config.times import parse_timestamp
from tui.core.store.connection import Store
from tui.sandbox.history import incident_alerts
from tui.sandbox.scenario import EXPECTED_KIND, load_scenario


def _incidents(demo_dir: Path) -> list[dict[str, Any]]:
    with Store(demo_dir / "oncall.duckdb").read() as con:
        return _rows(con)


def _rows(con: Any) -> list[dict[str, Any]]:
    cursor = con.execute("SELECT * FROM scenario_incidents ORDER BY start_ts")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_store_holds_every_incident_of_the_spec(demo_dir: Path) -> None:
    spec = load_scenario("demo")
    ids = {r["incident_id"] for r in _incidents(demo_dir)}
    assert ids == {i.id for i in spec.incidents}
    assert {i.type for i in spec.incidents} >= set(EXPECTED_KIND)


def test_every_incident_raises_its_alert_in_time(demo_dir: Path) -> None:
    settings = load_config(demo_dir / "oncall.yaml")
    now = parse_timestamp(DEMO_NOW)
    alerts = list_alerts(Store(settings.store_path), now, status="all")
    missing = []
    for incident in _incidents(demo_dir):
        if not incident_alerts(settings, incident, alerts):
            missing.append(incident["incident_id"])
    assert not missing, f"no alert for {missing}"


def _guessed_types(spec: Any) -> set[tuple[str, str, str]]:
    """The alert types whose thresholds the scenario sets by guesswork on purpose (for
    `oncall tune` to learn from): a null budget below the feature's own null rate, or
    a drift limit of the feature's own."""
    out = set()
    for name, model in spec.models.items():
        for fname, f in model.features.items():
            if f.nulls >= f.max_null > 0 or (f.nulls and f.max_null == 0):
                out.add((name, "completeness", fname))
            if f.drift:
                out.add((name, "drift", fname))
    return out


def test_few_alerts_outside_incidents(demo_dir: Path) -> None:
    """At most 0.25 alerts per model-day start outside an incident and the day after it,
    apart from the types the scenario mis-set on purpose (which must be noisy).

    An on-call engineer meets two or three models a day; one stray alert every four
    model-days is about one a shift, which a veteran reads and dismisses in a minute.
    """
    settings = load_config(demo_dir / "oncall.yaml")
    now = parse_timestamp(DEMO_NOW)
    alerts = list_alerts(Store(settings.store_path), now, status="all")
    incidents = _incidents(demo_dir)
    spec = load_scenario("demo")
    guessed = _guessed_types(spec)
    assert len(guessed) >= 3
    outside = [
        a
        for a in alerts
        if not any(
            i["model"] == a.model
            and i["start_ts"] <= a.first_seen <= i["end_ts"] + timedelta(days=1)
            for i in incidents
        )
    ]
    stray = [a for a in outside if (a.model, a.kind, a.feature) not in guessed]
    # The guessed thresholds are what the demo's record is made of: each fires often.
    for t in guessed:
        assert sum(1 for a in outside if (a.model, a.kind, a.feature) == t) >= 10, t
    model_days = len(spec.models) * spec.days
    assert len(stray) / model_days <= 0.25, [
        (a.model, a.kind, a.feature, a.slice, a.first_seen) for a in stray
    ]


def test_checking_again_with_the_same_now_changes_nothing(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_dir / "oncall.yaml"
    before = cli(
        capsys, "--config", config, "--now", DEMO_NOW, "alerts", "list", "--status", "all", "--json"
    ).json()
    again = cli(capsys, "--config", config, "--now", DEMO_NOW, "check", "--json")
    assert again.code == 0, again.err
    body = again.json()
    assert body["results"] == []
    assert (body["opened"], body["updated"], body["resolved"]) == ([], [], [])
    after = cli(
        capsys, "--config", config, "--now", DEMO_NOW, "alerts", "list", "--status", "all", "--json"
    ).json()
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


def test_fail_on_critical_exits_1_when_a_critical_alert_fires(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_dir / "oncall.yaml"
    result = cli(capsys, "--config", config, "--now", DEMO_NOW, "check", "--fail-on", "critical")
    assert result.code == 1
    assert "firing" in result.err
    bad = cli(capsys, "--config", config, "check", "--fail-on", "sometimes")
    assert bad.code == 2


def test_drift_alerts_show_baseline_and_current_distributions(demo_dir: Path) -> None:
    settings = load_config(demo_dir / "oncall.yaml")
    store = Store(settings.store_path)
    now = parse_timestamp(DEMO_NOW)
    drifting = [
        a for a in list_alerts(store, now, status="all") if a.kind in ("drift", "score_drift")
    ]
    assert drifting
    for a in drifting:
        view = show_alert(store, settings, a.id, now).drift
        assert view is not None
        assert len(view.labels) == len(view.baseline) == len(view.current)
        assert sum(view.baseline) == pytest.approx(1.0)
        assert sum(view.current) == pytest.approx(1.0)
    vanished = load_scenario("demo").incidents
    states = next(i for i in vanished if i.type == "vanished_categories")
    state_alert = next((a for a in drifting if a.feature == states.feature), None)
    if state_alert is not None:
        view = show_alert(store, settings, state_alert.id, now).drift
        assert view is not None
        gone = [view.current[view.labels.index(v)] for v in states.values]
        assert max(gone) < min(view.baseline[view.labels.index(v)] for v in states.values)


def test_both_faces_get_the_same_alert_detail(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`oncall alerts show --json` prints the record the app reads, drift picture and all."""
    config = demo_dir / "oncall.yaml"
    settings = load_config(config)
    store = Store(settings.store_path)
    now = parse_timestamp(DEMO_NOW)
    alerts = list_alerts(store, now, status="all")
    drifting = next(a for a in alerts if a.kind in ("drift", "score_drift"))
    other = next(a for a in alerts if a.kind not in ("drift", "score_drift"))
    for a in (drifting, other):
        shown = cli(
            capsys, "--config", config, "--now", DEMO_NOW, "alerts", "show", str(a.id), "--json"
        )
        assert shown.code == 0, shown.err
        detail = show_alert(store, settings, a.id, now)
        as_printed = json.loads(json.dumps(detail.to_json(), default=lambda v: v.isoformat()))
        assert shown.json() == as_printed
        assert list(shown.json()) == [*a.to_json(), "bugs", "drift", "events", "results"]
        assert (shown.json()["drift"] is None) == (a is other)
        # The alert inside the detail is the listed one; only `runbook` is the whole note.
        assert {**detail.alert.to_json(), "runbook": a.runbook} == a.to_json()
