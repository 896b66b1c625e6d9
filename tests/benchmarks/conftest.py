"""Benchmarks: ratios against hand-written DuckDB SQL measured in the same run.

Run with ``uv run pytest -m benchmark tests/benchmarks -s``; each prints its figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
