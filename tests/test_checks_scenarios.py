"""Checks on a scenario they were not tuned on; hourly runs equal one run at the end."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.core.alerts.reading import list_alerts
from tui.core.config.settings import load_config
from tui.core.monitor.run import run_checks
from tui.core.store.connection import Store
from tui.sandbox.demo import build_world_dir
from tui.sandbox.history import incident_alerts
from tui.sandbox.scenario import load_scenario

NOW = datetime(2026, 11, 26, 4)


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """drill-checkout ingested, checks not yet run; a pristine copy of the store beside it."""
    folder = tmp_path_factory.mktemp("drill")
    spec = load_scenario("drill-checkout")
    config = build_world_dir(spec, folder, seed=spec.seed, scale=1.0, now=NOW)
    shutil.copy(folder / "oncall.duckdb", folder / "pristine.duckdb")
    return config


def _fresh(config: Path) -> Store:
    shutil.copy(config.parent / "pristine.duckdb", config.parent / "oncall.duckdb")
    return Store(config.parent / "oncall.duckdb")


def _incidents(store: Store) -> list[dict[str, Any]]:
    with store.read() as con:
        cursor = con.execute("SELECT * FROM scenario_incidents ORDER BY start_ts")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_planted_incident_is_caught_and_untouched_features_stay_quiet(drill: Path) -> None:
    settings = load_config(drill)
    store = _fresh(drill)
    run_checks(store, settings, NOW)
    alerts = list_alerts(store, NOW, status="all")
    incidents = _incidents(store)
    assert len(incidents) == 6
    for incident in incidents:
        assert incident_alerts(settings, incident, alerts), incident["incident_id"]
    touched = {i["feature"] for i in incidents if i["feature"]}
    model = settings.model("checkout_risk")
    untouched = set(model.features) - touched
    assert untouched == {"account_age_days", "payment_method"}
    quiet = [a for a in alerts if a.feature in untouched]
    assert len(quiet) <= 2, quiet


def _signature(store: Store) -> list[tuple[Any, ...]]:
    return sorted(
        (a.fingerprint, a.first_seen, a.last_seen, a.count, a.severity, a.status)
        for a in list_alerts(store, NOW, status="all")
        if a.status != "retracted"
    )


@pytest.mark.slow
def test_checking_every_hour_ends_with_the_same_alerts_as_one_run(drill: Path) -> None:
    settings = load_config(drill)
    once = _fresh(drill)
    run_checks(once, settings, NOW)
    expected = _signature(once)
    hourly = _fresh(drill)
    moment = NOW - timedelta(days=3)
    run_checks(hourly, settings, moment)
    while moment < NOW:
        moment += timedelta(hours=1)
        run_checks(hourly, settings, moment)
    got = _signature(hourly)
    assert [g for g in got if g not in expected] == []
    assert [e for e in expected if e not in got] == []
