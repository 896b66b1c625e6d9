"""What one model's evaluation shares: the connection, settings, now, and what was read.

Every kind's evaluator takes a Context and the Span of windows due for it, and returns
Results; nothing is written while evaluating. Reads that several evaluators need (the
row statistics of a span, the volume history) are made once and kept in the context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import duckdb

from tui.core.checks.baseline import Histogram
from tui.core.checks.results import Result
from tui.core.checks.spans import Span
from tui.core.config.settings import Model, Settings
from tui.core.store.sqlparts import Fragment, predictions_table

T = TypeVar("T")


@dataclass
class Context:
    """One model's evaluation at one moment."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    model_name: str
    model: Model
    now: datetime
    first_ts: datetime
    baseline: dict[str, Histogram] = field(default_factory=dict)
    # The results this run has found so far (not stored yet): the state one part of
    # a span hands the next where the store has none.
    earlier: list[Result] = field(default_factory=list)
    _memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def table(self) -> Fragment:
        """The model's predictions table."""
        return predictions_table(self.model_name)

    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per key for this evaluation (shared reads)."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value


Evaluator = Callable[[Context, Span], list[Result]]


@dataclass(frozen=True)
class Inputs:
    """What a re-judging kind's horizon was judged on (tui.core.checks.incremental)."""

    judged_now: datetime
    ingest_id: int
    config: str


@dataclass
class ModelRun:
    """What one check run did for one model."""

    model: str
    results: list[Result] = field(default_factory=list)
    spans: dict[str, Span] = field(default_factory=dict)
    # What kept a check from running as configured (a baseline with no rows), said to
    # the user with the run's results.
    problems: list[str] = field(default_factory=list)
    # What the kinds whose whole horizon this run judged judged it on, stored with the
    # results; and the kinds whose re-judged windows were cut to those that changed.
    inputs: dict[str, Inputs] = field(default_factory=dict)
    trimmed: set[str] = field(default_factory=set)
    # Baseline cache writes the evaluation found wanted (it only reads): made by the
    # run in its write transaction, with the results.
    cache_writes: list[Callable[[duckdb.DuckDBPyConnection], None]] = field(default_factory=list)
