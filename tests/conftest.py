from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import write_config


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    for name in ("ONCALL_CONFIG", "ONCALL_NOW", "ONCALL_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # The CLI's memos of checked configs go to the test run's own cache folder.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    yield


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the small two-model config, made the working directory."""
    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ONCALL_USER", "alice")
    return tmp_path


def pytest_report_header() -> str:
    return f"oncall tests; cpus={os.cpu_count()}"


DEMO_NOW = "2026-11-26T04:00"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo at its default scale, built once per test session (checks included)."""
    from datetime import datetime

    from tui.cli.demo import _checks_runner
    from tui.sandbox.demo import build_demo
    from tui.sandbox.scenario import load_scenario

    folder = tmp_path_factory.mktemp("demo") / "oncall-demo"
    runner = _checks_runner(load_scenario("demo"))
    build_demo(folder, now=datetime.fromisoformat(DEMO_NOW), run_checks=runner)
    return folder


@pytest.fixture(scope="session")
def checked_drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """drill-checkout at half scale with its checks run; a pristine copy of the store is
    kept beside it as checked.duckdb."""
    import shutil
    from datetime import datetime

    from tui.core.config.settings import load_config
    from tui.core.monitor.run import run_checks
    from tui.core.store.connection import Store
    from tui.sandbox.demo import build_world_dir
    from tui.sandbox.scenario import load_scenario

    folder = tmp_path_factory.mktemp("drill-checked")
    spec = load_scenario("drill-checkout")
    now = datetime.fromisoformat(DEMO_NOW)
    config = build_world_dir(spec, folder, seed=spec.seed, scale=0.5, now=now)
    settings = load_config(config)
    run_checks(Store(settings.store_path), settings, now)
    shutil.copy(folder / "oncall.duckdb", folder / "checked.duckdb")
    return config


@pytest.fixture
def drill_config(checked_drill: Path) -> Path:
    """The checked drill, its store restored to pristine for this test."""
    import shutil

    shutil.copy(checked_drill.parent / "checked.duckdb", checked_drill.parent / "oncall.duckdb")
    return checked_drill


@pytest.fixture(scope="session")
def tuning_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """drill-tuning (24 days, noisy thresholds, five real incidents) built, checked and
    decided as its veterans did; the store as ingested, before any check, is kept
    beside it as pristine.duckdb. Tests that change it work on a copy."""
    import shutil
    from datetime import datetime

    from tui.core.config.settings import load_config
    from tui.core.monitor.run import run_checks_to_end
    from tui.core.store.connection import Store
    from tui.sandbox.demo import build_world_dir
    from tui.sandbox.history import apply_decisions
    from tui.sandbox.scenario import load_scenario

    folder = tmp_path_factory.mktemp("tuning")
    spec = load_scenario("drill-tuning")
    now = datetime.fromisoformat(DEMO_NOW)
    config = build_world_dir(spec, folder, seed=spec.seed, scale=1.0, now=now)
    shutil.copy(folder / "oncall.duckdb", folder / "pristine.duckdb")
    settings = load_config(config)
    store = Store(settings.store_path)
    run_checks_to_end(store, settings, now)
    apply_decisions(store, settings)
    return config
