"""Ingest rows per second at 1M rows, as a ratio to a bare DuckDB INSERT … SELECT."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.benchmarks.conftest import best_of
from tui.core.config.settings import load_config
from tui.core.ingest.load import ingest_file
from tui.core.store.connection import Store
from tui.sandbox.scenario import load_scenario
from tui.sandbox.simulator import simulate

pytestmark = pytest.mark.benchmark
ROWS = 1_000_000


def test_ingest_rate_is_at_least_70_percent_of_bare_insert(tmp_path: Path) -> None:
    spec = load_scenario("demo")
    world = simulate(spec, scale=ROWS / 250_000, end=datetime(2026, 11, 26))
    frame = world.predictions["fraud"].head(ROWS)
    assert frame.height == ROWS
    data = tmp_path / "fraud.parquet"
    frame.write_parquet(data)
    (tmp_path / "oncall.yaml").write_text(
        __import__("yaml").safe_dump(spec.oncall_config(world.start))
    )
    settings = load_config(tmp_path / "oncall.yaml")
    counter = itertools.count()

    def bare() -> None:
        db = tmp_path / f"bare{next(counter)}.duckdb"
        con = duckdb.connect(str(db))
        con.execute(
            "CREATE TABLE predictions AS SELECT * FROM read_parquet($p) LIMIT 0", {"p": str(data)}
        )
        con.execute("INSERT INTO predictions SELECT * FROM read_parquet($p)", {"p": str(data)})
        con.close()

    def ours() -> None:
        settings_copy = settings.model_copy(
            update={
                "config": settings.config.model_copy(
                    update={"store": f"ours{next(counter)}.duckdb"}
                )
            }
        )
        store = Store(settings_copy.store_path)
        store.ensure()
        result = ingest_file(
            store,
            settings_copy,
            "predictions",
            "fraud",
            data,
            actor="bench",
            now=datetime(2026, 11, 26),
        )
        assert result.added == ROWS

    bare_s = best_of(3, bare)
    ours_s = best_of(3, ours)
    ratio = bare_s / ours_s
    print(
        f"\ningest {ROWS:,} rows: bare {ROWS / bare_s:,.0f} rows/s ({bare_s:.2f} s), "
        f"oncall {ROWS / ours_s:,.0f} rows/s ({ours_s:.2f} s), rate ratio {ratio:.2f}"
    )
    assert ratio >= 0.7
