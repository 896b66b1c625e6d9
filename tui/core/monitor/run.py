"""A check run: evaluate every due window, store what changed, bring alerts in line.

This is the one place where checks and alerts meet; it sits above both, so neither
needs the other's run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tui.core.alerts.episodes import reconcile_alerts
from tui.core.checks.evaluate import evaluate_model
from tui.core.checks.results import Result
from tui.core.checks.storing import store_results
from tui.core.config.settings import Settings
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
) -> CheckRun:
    """Evaluate every due window of the given models (default: all) and update alerts,
    each model in one transaction."""
    started = time.perf_counter()
    names = list(models) if models else list(settings.config.models)
    for name in names:
        settings.model(name)
    all_results: list[Result] = []
    opened: list[int] = []
    updated: list[int] = []
    resolved: list[int] = []
    remaining: dict[str, int] = {}
    for name in names:
        with store.write() as con:
            run = evaluate_model(con, settings, name, now, since, until, on_step)
            changed = store_results(con, run, now)
            touched = sorted({r.fingerprint for r in changed})
            change = reconcile_alerts(con, settings, name, touched, now)
        left = max((span.remaining for span in run.spans.values()), default=0)
        if left:
            remaining[name] = left
        all_results += changed
        opened += change.opened
        updated += change.updated
        resolved += change.resolved
    seconds = round(time.perf_counter() - started, 3)
    return CheckRun(all_results, opened, updated, resolved, seconds, remaining)


def run_checks_to_end(store: Store, settings: Settings, now: datetime) -> CheckRun:
    """Run the checks again and again until no due window is left: for a sandbox built
    in one go, where nobody is waiting on the lock between runs. The last run is
    returned; each run evaluates at least one window, so this ends."""
    run = run_checks(store, settings, now)
    while not run.complete:
        run = run_checks(store, settings, now)
    return run
