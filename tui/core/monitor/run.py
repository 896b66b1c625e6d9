"""A check run: evaluate every due window, store what changed, bring alerts in line.

This is the one place where checks and alerts meet; it sits above both, so neither
needs the other's run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from tui.core.alerts.episodes import reconcile_alerts
from tui.core.checks.baseline import prepare_references
from tui.core.checks.context import ModelRun
from tui.core.checks.evaluate import evaluate_model
from tui.core.checks.incremental import record_inputs
from tui.core.checks.results import Result
from tui.core.checks.storing import store_results
from tui.core.config.settings import Settings
from tui.core.ingest.load import sync_columns
from tui.core.monitor.never_judged import never_judged_results, resolve_judged
from tui.core.notify.deliver import RealClock
from tui.core.notify.outbox import queue_alert_changes
from tui.core.store.connection import Store


@dataclass
class CheckRun:
    """What `oncall check` did: new or changed results and the alert changes, and per
    model the most windows of any kind left for the next run (only models with some)."""

    results: list[Result]
    opened: list[int]
    updated: list[int]
    resolved: list[int]
    seconds: float
    remaining: dict[str, int] = field(default_factory=dict)
    # What kept a check from running as configured (a baseline version with no rows).
    problems: list[str] = field(default_factory=list)
    # Notifications queued for the routes of `alerting.notify` (held back ones too).
    notifications: int = 0
    # Lake models (`models.M.source`) left out: their checks need per-window statistics
    # from the lake, not built yet; their empty predictions table is no evidence.
    lake_skipped: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every due window was evaluated (else `oncall check` again goes on)."""
        return not self.remaining


def run_checks(
    store: Store,
    settings: Settings,
    now: datetime,
    models: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    on_step: Callable[[str], None] | None = None,
    wall: datetime | None = None,
) -> CheckRun:
    """Evaluate every due window of the given models (default: all) and update alerts,
    each model in one transaction, with the notifications the changes ask for (queued
    at `wall`, the wall clock unless a test gives its own)."""
    started = time.perf_counter()
    names = list(models) if models else list(settings.config.models)
    for name in names:
        settings.model(name)
    # Skipped here, for every caller (check, watch, demo, drills): checking a lake model
    # against its empty predictions table would raise false no-data alerts.
    lake_skipped = [n for n in names if settings.model(n).source is not None]
    names = [n for n in names if n not in lake_skipped]
    # A bad reference file (a baseline) stops the run before anything is written.
    prepare_references(store, settings, names, now)
    all_results: list[Result] = []
    opened: list[int] = []
    updated: list[int] = []
    resolved: list[int] = []
    remaining: dict[str, int] = {}
    problems: list[str] = []
    notifications = 0
    for name in names:
        # The evaluation reads only, so it runs outside the write lock (the app and
        # other readers go on meanwhile); only storing what it found takes the lock.
        run = _evaluate_reading(store, settings, name, now, since, until, on_step)
        with store.write() as con:
            # Tables and columns the config declares since the last ingest exist (empty)
            # before any check reads them, so a new model or column is not a store error.
            sync_columns(con, settings)
            if run is None:
                run = evaluate_model(con, settings, name, now, since, until, on_step)
            for write in run.cache_writes:
                write(con)
            changed = store_results(con, run, now)
            record_inputs(con, run)
            # Checks insufficient for every window so far, read from the stored history
            # (this run's results included), are said to be blind; only the kinds this
            # run left unjudged are read.
            findings = never_judged_results(
                con, name, settings.model(name), now, run.results, run.trimmed
            )
            found = store_results(con, ModelRun(name, results=findings), now)
            judged = resolve_judged(con, name, found, now)
            changed += found
            touched = sorted({r.fingerprint for r in changed})
            change = reconcile_alerts(con, settings, name, touched, now)
            change.resolved += judged
            # The alerts' notifications commit with the change that asks for them.
            queued = queue_alert_changes(con, settings, now, wall or RealClock().now())
            notifications += len(queued.pending) + len(queued.held)
        left = max((span.remaining for span in run.spans.values()), default=0)
        if left:
            remaining[name] = left
        problems += run.problems
        all_results += changed
        opened += change.opened
        updated += change.updated
        resolved += change.resolved
    seconds = round(time.perf_counter() - started, 3)
    return CheckRun(
        all_results,
        opened,
        updated,
        resolved,
        seconds,
        remaining,
        problems,
        notifications,
        lake_skipped,
    )


class _NeedsWriting(Exception):
    """The evaluation wanted to write (a baseline computed for the first time is kept)
    or found the store behind the config: it is done again inside the write."""


def _evaluate_reading(
    store: Store,
    settings: Settings,
    name: str,
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    on_step: Callable[[str], None] | None,
) -> ModelRun | None:
    """The model's evaluation on a read-only connection, or None when it cannot be done
    reading only (then the caller evaluates inside its write transaction)."""
    try:
        with store.read() as con:
            try:
                return evaluate_model(con, settings, name, now, since, until, on_step)
            except duckdb.Error as exc:
                # Not a failure of the store's: a write refused on a read-only
                # connection, or a table or column the write's sync_columns adds.
                raise _NeedsWriting from exc
    except _NeedsWriting:
        return None


def run_checks_to_end(store: Store, settings: Settings, now: datetime) -> CheckRun:
    """Run the checks again and again until no due window is left: for a sandbox built
    in one go, where nobody is waiting on the lock between runs. The last run is
    returned; each run evaluates at least one window, so this ends."""
    run = run_checks(store, settings, now)
    while not run.complete:
        run = run_checks(store, settings, now)
    return run
