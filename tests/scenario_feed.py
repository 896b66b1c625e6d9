"""An unseen scenario delivered as a pipeline would: every four hours the predictions
of those hours and the labels that became known in them, each as its own file,
ingested and checked with `oncall check` (shared by a test and a benchmark)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from tests.helpers import cli
from tui.core.alerts.reading import list_alerts
from tui.core.alerts.records import Alert
from tui.core.checks.results import slice_key
from tui.core.config.settings import Settings, load_config
from tui.core.store.connection import Store
from tui.sandbox.scenario import EXPECTED_KIND, IncidentSpec, ScenarioSpec
from tui.sandbox.simulator import World, simulate

DELIVERY = timedelta(hours=4)
# The unseen scenarios' fixed world: it ends at this hour.
END = datetime(2026, 11, 26)


def incident_row(world: World, inc: IncidentSpec) -> dict[str, Any]:
    """An incident as `tui.sandbox.history.incident_alerts` takes it."""
    return {
        "incident_id": inc.id,
        "type": inc.type,
        "model": inc.model,
        "feature": inc.feature,
        "slice": slice_key(dict(inc.slice) if inc.slice else None),
        "start_ts": world.at(inc.start),
        "end_ts": world.at(inc.end),
    }


def write_config(spec: ScenarioSpec, world: World, folder: Path) -> Settings:
    """The scenario's oncall.yaml in ``folder``."""
    path = folder / "oncall.yaml"
    config = spec.oncall_config(world.start)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return load_config(path)


@dataclass
class Delivery:
    """One four-hour delivery: its end ("now" for its check), the check's wall-clock
    and CPU seconds (all threads; less disturbed by a busy machine), and the alerts
    listed after it."""

    end: datetime
    check_seconds: float
    cpu_seconds: float
    alerts: list[Alert] = field(default_factory=list)


def deliveries(
    spec: ScenarioSpec, folder: Path, capsys: pytest.CaptureFixture[str], scale: float = 1.0
) -> Iterator[Delivery]:
    """Simulate ``spec`` and deliver it every four hours into a store under ``folder``:
    write the span's predictions (Parquet) and the labels known in it (CSV), ingest
    both, run `oncall check --now END` and yield what it found."""
    world = simulate(spec, scale=scale, end=END)
    settings = write_config(spec, world, folder)
    config = settings.path
    drop = folder / "drop"
    drop.mkdir()
    at = world.start
    while at < world.end:
        until = at + DELIVERY
        stamp = f"{until:%Y%m%dT%H}"
        for name in spec.models:
            preds = world.predictions[name].filter((pl.col("ts") >= at) & (pl.col("ts") < until))
            labels = world.labels[name].filter(
                (pl.col("labeled_at") >= at) & (pl.col("labeled_at") < until)
            )
            now = until.isoformat()
            if preds.height:
                path = drop / f"{name}-predictions-{stamp}.parquet"
                preds.write_parquet(path)
                done = cli(
                    capsys,
                    "--config",
                    config,
                    "--now",
                    now,
                    "ingest",
                    "predictions",
                    path,
                    "-m",
                    name,
                )
                assert done.code == 0, done.err
            if labels.height:
                path = drop / f"{name}-labels-{stamp}.csv"
                labels.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%SZ")
                done = cli(
                    capsys, "--config", config, "--now", now, "ingest", "labels", path, "-m", name
                )
                assert done.code == 0, done.err
        began, cpu = time.perf_counter(), time.process_time()
        done = cli(capsys, "--config", config, "--now", until.isoformat(), "check", "--json")
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        assert done.code == 0, done.err
        assert done.json()["complete"], "a four-hour delivery is checked in one run"
        alerts = list_alerts(Store(settings.store_path), until, status="all")
        yield Delivery(until, seconds, cpu, alerts)
        at = until


def expected_kind(inc: IncidentSpec) -> str:
    """The alert kind an incident should raise."""
    return EXPECTED_KIND[inc.type]
