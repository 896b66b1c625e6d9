"""Benchmarks: ratios against hand-written DuckDB SQL measured in the same run.

Run with ``uv run pytest -m benchmark tests/benchmarks -s``; each prints its figures.
The 10M store is built once into the benchmark cache (see bigdata.py) and reused; the
100M one only with ``ONCALL_BENCH_100M=1``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.benchmarks.bigdata import END, working_copy

BIG_NOW = END
BIG_ROWS = 10_000_000
HUGE_ROWS = 100_000_000
# Building the 10M store the first time takes minutes; a benchmark that uses it carries
# this timeout (pytest's 300 s counts the fixture's set-up too).
BIG_TIMEOUT = 1800
HUGE_TIMEOUT = 7200


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


@pytest.fixture(autouse=True, scope="session")
def _no_progress_bar() -> Iterator[None]:
    """Every connection a benchmark opens itself (its hand-written SQL) runs without
    DuckDB's progress bar, as the store's own connections do (connection.configure): the
    Python client draws one by default over any query past two seconds, in the middle
    of the figures a benchmark prints."""
    real = duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = real(*args, **kwargs)
        con.execute("SET enable_progress_bar = false")
        return con

    duckdb.connect = connect
    try:
        yield
    finally:
        duckdb.connect = real


@pytest.fixture(scope="session")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's fraud model at 10M predictions over 14 days, ingested with its labels
    and rollups built (from the benchmark cache, built there on first use; a private
    copy, so a benchmark may write); returns the config path."""
    return working_copy(BIG_ROWS, tmp_path_factory.mktemp("big"))


@pytest.fixture(scope="session")
def huge_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model at 100M predictions over 140 days (the same traffic a day as
    big_store, ten times the history). Building it took 77 minutes on two loaded cores
    (2.9 GB, 28.9 bytes a prediction; ~5 GB of disk while building), so it runs only
    with ``ONCALL_BENCH_100M=1`` (never in CI)."""
    if os.environ.get("ONCALL_BENCH_100M") != "1":
        pytest.skip("the 100M store is built only with ONCALL_BENCH_100M=1")
    return working_copy(HUGE_ROWS, tmp_path_factory.mktemp("huge"))
