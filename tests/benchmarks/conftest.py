"""Benchmarks: ratios against hand-written DuckDB SQL measured in the same run.

Run with ``uv run pytest -m benchmark tests/benchmarks -s``; each prints its figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import yaml

BIG_NOW = datetime(2026, 11, 26)
BIG_ROWS = 10_000_000


def best_of(
    runs: int, work: Callable[[], object], setup: Callable[[], object] | None = None
) -> float:
    """The fastest of ``runs`` timings of ``work`` in seconds (the least disturbed one);
    ``setup`` runs before each, untimed."""
    best = float("inf")
    for _ in range(runs):
        if setup is not None:
            setup()
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.fixture(scope="session")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's fraud model simulated at 10M predictions, ingested with its labels and
    rollups built; returns the config path."""
    from tui.core.config.settings import load_config
    from tui.core.ingest.load import ingest_file
    from tui.core.ingest.rollups import refresh
    from tui.core.store.connection import Store
    from tui.sandbox.scenario import load_scenario
    from tui.sandbox.simulator import simulate_model

    folder = tmp_path_factory.mktemp("big")
    spec = load_scenario("demo")
    spec = spec.model_copy(
        update={
            "models": {"fraud": spec.models["fraud"]},
            "incidents": [i for i in spec.incidents if i.model == "fraud"],
            "shifts": [],
        }
    )
    from datetime import timedelta

    start = BIG_NOW - timedelta(days=spec.days)
    scale = BIG_ROWS / 293_000
    preds, labels = simulate_model(spec, "fraud", seed=7, scale=scale, start=start, end=BIG_NOW)
    preds.head(BIG_ROWS).write_parquet(folder / "preds.parquet")
    labels.write_parquet(folder / "labels.parquet")
    del preds, labels
    (folder / "oncall.yaml").write_text(yaml.safe_dump(spec.oncall_config(start)))
    settings = load_config(folder / "oncall.yaml")
    store = Store(settings.store_path)
    ingest_file(
        store, settings, "predictions", "fraud", folder / "preds.parquet", actor="b", now=BIG_NOW
    )
    ingest_file(
        store, settings, "labels", "fraud", folder / "labels.parquet", actor="b", now=BIG_NOW
    )
    refresh(store, settings, "fraud")
    return folder / "oncall.yaml"
