"""An unseen scenario (fixtures/scenarios/loan-approvals.yaml, never tuned on): columns
that are both slices and features, six planted incidents of six kinds.

Built whole, every incident is alerted with its kind, feature and slice, and few alerts
fire on the features no incident touched. Delivered every four hours as a pipeline
would, every data-quality and drift incident is alerted within two deliveries of its
start (the cost of each check as history grows is a benchmark:
tests/benchmarks/test_delivery_speed.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.scenario_feed import DELIVERY, END, deliveries, expected_kind, incident_row
from tui.core.alerts.reading import list_alerts
from tui.core.alerts.records import Alert
from tui.core.config.settings import Settings, load_config
from tui.core.monitor.run import run_checks_to_end
from tui.core.store.connection import Store
from tui.sandbox.demo import build_world_dir
from tui.sandbox.history import incident_alerts
from tui.sandbox.scenario import ScenarioSpec, load_scenario
from tui.sandbox.simulator import simulate

NAME = "loan-approvals"
# Label-based kinds wait for labels (days); the rest are judged as rows arrive.
ROW_KINDS = ("completeness", "bounds", "allowed_values", "distinct", "drift", "score_drift")


@pytest.fixture(scope="module")
def spec() -> ScenarioSpec:
    return load_scenario(NAME)


def _check_to_end(settings: Settings, store: Store, now: datetime) -> None:
    run_checks_to_end(store, settings, now)


@pytest.fixture(scope="module")
def built(
    spec: ScenarioSpec, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, list[Alert]]:
    folder = tmp_path_factory.mktemp("unseen")
    config = build_world_dir(
        spec,
        folder,
        seed=spec.seed,
        scale=1.0,
        now=END,
        with_history=False,
        run_checks=_check_to_end,
    )
    settings = load_config(config)
    return settings, list_alerts(Store(settings.store_path), END, status="all")


def _untouched(spec: ScenarioSpec, model: str) -> set[str]:
    touched = {i.feature for i in spec.incidents if i.model == model and i.feature}
    return set(spec.models[model].features) - touched


def test_the_config_declares_columns_that_are_slices_and_features(
    spec: ScenarioSpec, built: tuple[Settings, list[Alert]]
) -> None:
    settings, _alerts = built
    model = settings.model("loan_approval")
    both = set(model.slices) & set(model.features)
    assert both == {"city", "channel"}
    # Incidents are sliced by those columns, and they are among the untouched features.
    assert {c for i in spec.incidents for c in (i.slice or {})} == both
    assert both <= _untouched(spec, "loan_approval")


def test_every_planted_incident_is_alerted_with_its_kind_feature_and_slice(
    spec: ScenarioSpec, built: tuple[Settings, list[Alert]]
) -> None:
    settings, alerts = built
    world = simulate(spec, end=END)
    kinds = {expected_kind(i) for i in spec.incidents}
    assert kinds >= {"completeness", "score_drift", "label_delay", "distinct", "bounds", "slo"}
    missing = [
        i.id
        for i in spec.incidents
        if not incident_alerts(settings, incident_row(world, i), alerts)
    ]
    assert missing == [], [(a.kind, a.feature, a.slice, a.first_seen) for a in alerts]


def test_at_most_three_alerts_fire_on_untouched_features(
    spec: ScenarioSpec, built: tuple[Settings, list[Alert]]
) -> None:
    _settings, alerts = built
    untouched = _untouched(spec, "loan_approval")
    assert len(untouched) >= 6
    stray = [a for a in alerts if a.feature in untouched]
    assert len(stray) <= 3, [(a.kind, a.feature, a.slice, a.first_seen) for a in stray]


# Sixty deliveries, each ingested and checked: about seven minutes on a busy machine.
@pytest.mark.timeout(1500)
def test_delivered_every_four_hours_each_row_incident_is_alerted_within_two_deliveries(
    spec: ScenarioSpec, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = simulate(spec, end=END)
    settings: Settings | None = None
    row_incidents = [i for i in spec.incidents if expected_kind(i) in ROW_KINDS]
    assert len(row_incidents) >= 4
    first_alerted: dict[str, datetime] = {}
    count = 0
    for delivery in deliveries(spec, tmp_path, capsys):
        count += 1
        settings = settings or load_config(tmp_path / "oncall.yaml")
        for inc in spec.incidents:
            if inc.id not in first_alerted and incident_alerts(
                settings, incident_row(world, inc), delivery.alerts
            ):
                first_alerted[inc.id] = delivery.end
    assert count == spec.days * 6
    late = {}
    for inc in row_incidents:
        start = world.at(inc.start)
        # The delivery holding the start ends at the next four-hour mark; two more may
        # pass before the alert must be there.
        holding = world.start + DELIVERY * ((start - world.start) // DELIVERY + 1)
        found = first_alerted.get(inc.id)
        if found is None or found > holding + 2 * DELIVERY:
            late[inc.id] = (start, found)
    assert late == {}
    # The label-based incidents are alerted too, once their labels were due.
    assert set(first_alerted) == {i.id for i in spec.incidents}
