"""The lake aggregates: one definition, the same rows on DuckDB and on Spark, and the
same rows as oncall's own ingest and rollups give for the same predictions and labels."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.lake_data import NOW, spark_session, write_lake
from tui.core.config.settings import Model, load_config
from tui.core.ingest.load import ingest_file
from tui.core.ingest.rollups import refresh
from tui.core.lake.aggregates import aggregates
from tui.core.lake.duck import DuckDBEngine
from tui.core.lake.files import list_files
from tui.core.store.connection import Store

__all__ = ["spark_session"]  # the shared session fixture, used by name below

SUMS = {"sum_score", "abs_err", "sq_err", "err", "quad_err"}
EVERYTHING = (datetime(1900, 1, 1), datetime(2200, 1, 1))
MODELS = {
    "binary": Model.model_validate(
        {"task": "binary", "positive": "1", "slices": ["region", "device"]}
    ),
    "regression": Model.model_validate({"task": "regression", "slices": ["region"]}),
}


def canon(table: pa.Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows keyed by every column but the counts and sums (each key once)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in table.to_pylist():
        key = tuple((k, v) for k, v in sorted(row.items()) if k not in SUMS and k != "n")
        assert key not in out, f"a group twice: {key}"
        out[key] = {k: v for k, v in row.items() if k in SUMS or k == "n"}
    return out


def assert_same(got: pa.Table, expected: pa.Table) -> None:
    """The same groups, the same counts exactly, sums within 1e-9 (relative)."""
    a, b = canon(got), canon(expected)
    assert a.keys() == b.keys(), (sorted(a.keys() - b.keys(), key=str)[:3], len(a), len(b))
    for key, row in a.items():
        other = b[key]
        assert row["n"] == other["n"], key
        for name in SUMS & row.keys():
            x, y = row[name], other[name]
            assert (x is None) == (y is None), (key, name, x, y)
            if x is not None:
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (key, name, x, y)


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    root = tmp_path_factory.mktemp("lakes")
    return {task: write_lake(root / task, task, seed=3 + i) for i, task in enumerate(MODELS)}


def duck_rows(lake: dict[str, Path], model: Model) -> dict[str, pa.Table]:
    files = {
        kind: [f.path for f in list_files(str(path), kind, required=False) or []]
        for kind, path in lake.items()
    }
    engine = DuckDBEngine(files["predictions"], files["labels"], "test")
    try:
        return {k: engine.run(a) for k, a in aggregates(model, *EVERYTHING).items()}
    finally:
        engine.close()


def test_the_lake_holds_the_awkward_cases(lakes: dict[str, dict[str, Path]]) -> None:
    # What the comparisons below rest on: NaN and NULL scores, an empty day, no version.
    preds = pq.read_table(lakes["binary"]["predictions"])
    scores = preds.column("score")
    assert scores.null_count > 0
    assert pc.sum(pc.is_nan(pc.fill_null(scores, 0.0))).as_py() > 0
    assert preds.column("model_version").null_count > 0
    days = {p.parent.name for p in lakes["binary"]["predictions"].rglob("*.parquet")}
    assert len(days) == 5
    assert (
        sum(
            pq.read_metadata(p).num_rows == 0
            for p in lakes["binary"]["predictions"].rglob("*.parquet")
        )
        == 1
    )


@pytest.mark.slow
def test_every_aggregate_is_the_same_on_duckdb_and_spark(
    lakes: dict[str, dict[str, Path]], spark_session: Any
) -> None:
    from tui.core.lake.spark import SparkEngine

    for task, model in MODELS.items():
        lake = lakes[task]
        expected = duck_rows(lake, model)
        engine = SparkEngine("local[2]", str(lake["predictions"]), str(lake["labels"]), "test")
        got = {k: engine.run(a) for k, a in aggregates(model, *EVERYTHING).items()}
        engine.close()
        for kind in expected:
            assert expected[kind].num_rows > 50
            assert got[kind].schema.names == expected[kind].schema.names
            assert_same(got[kind], expected[kind])


@pytest.mark.slow
def test_a_lake_with_no_labels_yet_reads_as_unlabelled_on_both(
    lakes: dict[str, dict[str, Path]], spark_session: Any
) -> None:
    from tui.core.lake.aggregates import rollup_aggregate
    from tui.core.lake.spark import SparkEngine

    lake, model = lakes["binary"], MODELS["binary"]
    files = [f.path for f in list_files(str(lake["predictions"]), "p", required=True) or []]
    duck = DuckDBEngine(files, [], "test")
    expected = duck.run(rollup_aggregate(model, *EVERYTHING))
    duck.close()
    assert expected.column("label").null_count == expected.num_rows
    engine = SparkEngine("local[2]", str(lake["predictions"]), None, "test")
    assert_same(engine.run(rollup_aggregate(model, *EVERYTHING)), expected)


CONFIG = """
store: oncall.duckdb
models:
  binary:
    task: binary
    positive: "1"
    slices: [region, device]
  regression:
    task: regression
    slices: [region]
"""


def _scored_lake(lake: dict[str, Path], out: Path) -> dict[str, Path]:
    """The lake without its rows of no or NaN score (local ingest refuses a binary
    model's row without a finite score); labels as they are."""
    for path in lake["predictions"].rglob("*.parquet"):
        table = pq.read_table(path)
        score = table.column("score")
        keep = pc.invert(pc.fill_null(pc.is_nan(score), True))
        target = out / "predictions" / path.parent.name / path.name
        target.parent.mkdir(parents=True)
        pq.write_table(table.filter(keep), target)
    return {"predictions": out / "predictions", "labels": lake["labels"]}


def _one_file(folder: Path, out: Path) -> Path:
    # Local ingest takes one file with the contract's columns (no partition column).
    table = pq.read_table(folder, partitioning=None)
    pq.write_table(table, out)
    return out


def test_the_duckdb_aggregates_equal_oncalls_own_rollups(
    lakes: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    (tmp_path / "oncall.yaml").write_text(CONFIG)
    settings = load_config(tmp_path / "oncall.yaml")
    store = Store(settings.store_path)
    for task, model in MODELS.items():
        lake = _scored_lake(lakes[task], tmp_path / f"scored-{task}")
        for kind in ("predictions", "labels"):
            path = _one_file(lake[kind], tmp_path / f"{task}-{kind}.parquet")
            ingest_file(store, settings, kind, task, path, actor="t", now=NOW)
        refresh(store, settings, task)
        with store.read() as con:
            local = {
                "rollups": con.sql(f'SELECT * FROM "rollups__{task}"').to_arrow_table(),  # noqa: S608
                "delays": con.sql(f'SELECT * FROM "label_delays__{task}"').to_arrow_table(),  # noqa: S608
            }
        lake_rows = duck_rows(lake, model)
        for kind in local:
            assert local[kind].num_rows > 50
            assert_same(lake_rows[kind], local[kind])


def test_each_lake_query_transpiles_to_spark_with_bound_parameters() -> None:
    # No JVM needed: what SQLGlot makes of the one definition.
    pytest.importorskip("sqlglot")
    from tui.core.lake.spark import to_spark_sql
    from tui.core.store.queries import query

    for kind, aggregate in aggregates(MODELS["binary"], *EVERYTHING).items():
        text = to_spark_sql(query(aggregate.name).sql(**aggregate.fragments))
        assert "$" not in text and ":lo" in text and ":hi" in text, kind
        assert "--" not in text and "/*" not in text  # comments dropped
        assert "`region`" in text  # identifiers quoted the Spark way
    delays = aggregates(MODELS["binary"], *EVERYTHING)["delays"]
    text = to_spark_sql(query("lake_delays").sql(**delays.fragments))
    assert "UNIX_MICROS(" in text.upper() and "EPOCH_US" not in text.upper()
