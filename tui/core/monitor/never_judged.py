"""Checks that can never fire: one warning when a check was insufficient for every
window it ever evaluated, so that silence does not look like health.

Daily drift on 165 rows a day with `min_support: 500`, or an SLO whose `min_labeled`
is above the traffic, is "insufficient" every window and so never alerts; nothing
says the check is blind. After a check run, each check's stored history is read:
one that was evaluated for at least three windows spanning `checks.never_judged_after`
and judged none of them raises one `never_judged` warning naming the check, the model
and the setting to change. It is one result per (model, subject) with a fixed
window, rewritten in place as the count grows, so it is one alert however long it
lasts; when the check is finally judged, the result turns to pass and the alert is
resolved by the system.

A subject is one SLO (each has its own `min_labeled`), or one kind for every other
check (drift on all features shares one `min_support`: one finding, not one per
feature), and only when every check of the kind was never judged. Windows that could
not be judged yet by design are not counted: SLO and offline-gap windows whose labels
are still within the expected delay, and volume's first week (it compares with the
week before).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.alerts.episodes import SYSTEM, add_event
from tui.core.checks.results import NEVER_JUDGED, Result
from tui.core.config.settings import Model
from tui.core.config.times import Months, Period, format_duration, period_text
from tui.core.store.connection import execute, fetch_rows
from tui.core.store.sqlparts import predictions_table

KIND = NEVER_JUDGED
MIN_WINDOWS = 3
VOLUME_WARM_UP = timedelta(days=7)


def _subject(check: str, kind: str) -> str:
    return check if kind in ("slo", "estimated_slo") else kind


def _window_text(model: Model, subject: str, kind: str, step: timedelta) -> str:
    """The subject's window as the config writes it: ``1mo`` for calendar months (whose
    stored windows last 28 to 31 days), else the stored step (``1d``)."""
    window: Period | None = None
    if kind == "offline_gap":
        window = model.checks.offline_gap.window
    elif kind in ("slo", "estimated_slo"):
        names = {f"slo:{s.metric}" + (f":by={s.by}" if s.by else ""): s for s in model.slos}
        window = names[subject].window if subject in names else None
    else:
        window = model.checks.window
    return period_text(window) if isinstance(window, Months) else format_duration(step)


def _advice(
    model_name: str, model: Model, subject: str, kind: str, step: timedelta
) -> tuple[str, str]:
    """(what the threshold is, what to change) for a subject, in config key paths."""
    at = f"models.{model_name}"
    window = _window_text(model, subject, kind, step)
    if kind in ("drift", "score_drift"):
        drift = model.checks.drift
        # Judged every check window, each over the trailing drift window: its rows are
        # the drift window's.
        span = period_text(drift.window)
        return (
            f"about {{rows}} rows per {span} window, min_support {drift.min_support}",
            f"lower {at}.checks.drift.min_support or widen checks.drift.window",
        )
    if kind in ("slo", "estimated_slo"):
        # An estimated SLO needs rows, not labels: min_labeled is its minimum of rows.
        rows = "labelled rows" if kind == "slo" else "rows"
        for i, slo in enumerate(model.slos):
            name = f"slo:{slo.metric}" + (f":by={slo.by}" if slo.by else "")
            if name == subject:
                return (
                    f"about {{rows}} {rows} per {window} window, min_labeled {slo.min_labeled}",
                    f"lower {at}.slos[{i}].min_labeled or widen {at}.slos[{i}].window",
                )
    if kind == "offline_gap":
        gap = model.checks.offline_gap
        return (
            f"about {{rows}} labelled rows per {window} window, min_labeled {gap.min_labeled}",
            f"lower {at}.checks.offline_gap.min_labeled or widen checks.offline_gap.window",
        )
    if kind == "distinct":
        return (
            f"about {{rows}} rows per {window} window, "
            f"min_expected {model.checks.distinct.min_expected:g}",
            f"lower {at}.checks.distinct.min_expected or widen checks.window",
        )
    return (
        f"about {{rows}} rows per {window} window",
        f"check that {model_name}'s predictions arrive, or widen checks.window",
    )


def never_judged_results(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    now: datetime,
    evaluated: Sequence[Result],
    also: Collection[str] = (),
) -> list[Result]:
    """The model's never_judged findings as of now: a warning per subject that was never
    judged over long enough, and a pass for a subject said to be so before that has
    been judged since (nothing for the rest).

    Only the subjects this run (``evaluated``, its results) left without a judged
    window, and those said never judged before, are read from the stored history: a
    subject judged in this run cannot be blind, and reading every stored result of
    every check at each run made a check's cost grow with the history. The kinds in
    ``also`` are read too: those the run skipped stored windows of."""
    open_ = {
        str(r["check_name"]): r
        for r in fetch_rows(con, "checks_never_judged_open", {"model": model_name})
    }
    judged: dict[tuple[str, str], bool] = {}
    for result in evaluated:
        if result.kind != KIND:
            key = (_subject(result.check, result.kind), result.kind)
            judged[key] = judged.get(key, False) or result.status != "insufficient"
    kinds = {kind for (_subject_, kind), was in judged.items() if not was}
    kinds |= {str(name).removeprefix(f"{KIND}:").split(":")[0] for name in open_}
    # Kinds whose unchanged windows this run did not judge again (their stored results
    # stand): read from the history, as if this run had judged them.
    kinds |= set(also)
    if not kinds:
        return []
    first_ts = fetch_rows(con, "checks_time_range", table=predictions_table(model_name))[0][
        "first_ts"
    ]
    if first_ts is None:
        return []
    rows = fetch_rows(
        con,
        "checks_never_judged",
        {
            "model": model_name,
            "settled": now - model.labels.expected_delay,
            "volume_from": first_ts + VOLUME_WARM_UP,
            "kinds": sorted(kinds),
        },
    )
    subjects: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        subjects[(_subject(str(r["check_name"]), str(r["kind"])), str(r["kind"]))].append(r)
    after = model.checks.never_judged_after
    out: list[Result] = []
    for (subject, kind), members in sorted(subjects.items()):
        name = f"{KIND}:{subject}"
        before = open_.get(name)
        windows = max(int(r["windows"]) for r in members)
        start: datetime = min(r["first_window"] for r in members)
        end: datetime = max(r["last_window_end"] for r in members)
        if before is not None:
            start = before["window_start"]
        if any(int(r["judged"]) for r in members):
            if before is not None:
                detail = json.loads(before["detail"]) if before["detail"] else {}
                detail["judged"] = True
                out.append(
                    Result(
                        model_name,
                        name,
                        KIND,
                        None,
                        None,
                        start,
                        max(end, before["window_end"]),
                        float(windows),
                        float(MIN_WINDOWS),
                        "pass",
                        windows,
                        detail,
                    )
                )
            continue
        if windows < MIN_WINDOWS or end - start < after:
            continue
        step = timedelta(seconds=float(max(r["step_seconds"] for r in members)))
        means = [float(r["mean_n"]) for r in members if r["mean_n"] is not None]
        rows_per = round(sum(means) / len(means)) if means else 0
        what, change = _advice(model_name, model, subject, kind, step)
        what = what.format(rows=rows_per)
        label = subject.replace(":", " ") if kind == "slo" else subject
        message = (
            f"{label} on model {model_name} has been insufficient for all {windows} "
            f"windows ({what}); {change}"
        )
        detail = {
            "message": message,
            "check": subject,
            "checks": sorted(str(r["check_name"]) for r in members),
            "windows": windows,
            "rows_per_window": rows_per,
            "window": _window_text(model, subject, kind, step),
            "setting": change,
        }
        out.append(
            Result(
                model_name,
                name,
                KIND,
                None,
                None,
                start,
                end,
                float(windows),
                float(MIN_WINDOWS),
                "warning",
                windows,
                detail,
            )
        )
    return out


def resolve_judged(
    con: duckdb.DuckDBPyConnection, model_name: str, results: list[Result], now: datetime
) -> list[int]:
    """Resolve the open alert of every never_judged finding that now passes (its check
    was judged); return their ids. Resolved by the system, so that the episode being
    gone is read as the check recovering, not as an alert retracted."""
    passing = sorted({r.fingerprint for r in results if r.kind == KIND and r.status == "pass"})
    if not passing:
        return []
    resolved = []
    for a in fetch_rows(
        con, "alerts_of_fingerprints", {"model": model_name, "fingerprints": passing}
    ):
        if a["state"] != "open":
            continue
        alert_id = int(a["alert_id"])
        execute(con, "alert_set_resolved", {"alert_id": alert_id, "at": now, "actor": SYSTEM})
        add_event(con, alert_id, now, SYSTEM, "resolved", reason="the check was judged at last")
        resolved.append(alert_id)
    return resolved
