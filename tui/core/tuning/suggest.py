"""Suggested thresholds, one per alert type, each with its reason and trade-off curve.

The suggestion is the quietest threshold (fewest episodes) at which the replay still
fires during every episode someone acted on — or that preceded a realised SLO breach
— or during the chosen share of them (`recall`). A type with less than a week of
judged windows, or a threshold that is not one number (drift thresholds derived from
the baseline), gets no suggestion and says why.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.core.config.settings import Settings
from tui.core.store.connection import Store, fetch_rows
from tui.core.tuning.backtest import (
    MIN_EPISODES,
    MIN_HISTORY,
    Point,
    Replay,
    StoredAlert,
    candidates,
    choose,
    judge,
    neat,
)
from tui.core.tuning.record import Outcome, TypeKey, preceded_drops, read_outcomes
from tui.core.tuning.rules import RULES
from tui.core.words import num


@dataclass(frozen=True)
class Change:
    """A stored alert that would not have fired at the suggested threshold."""

    alert_id: int
    outcome: str  # acted | noise | ignored | open
    first_seen: datetime

    def to_json(self) -> dict[str, Any]:
        """The change as `tune --json` prints it."""
        return {
            "alert_id": self.alert_id,
            "outcome": self.outcome,
            "first_seen": self.first_seen.isoformat(),
        }


@dataclass(frozen=True)
class Tuning:
    """One alert type's back-test and suggestion."""

    model: str
    kind: str
    feature: str | None
    parameter: str | None
    key: str | None  # the config key path the suggestion edits
    current: float | None
    suggested: float | None
    episodes_now: int
    episodes_suggested: int | None
    acted_total: int
    acted_kept: int | None
    noise_total: int
    noise_dropped: int | None
    lead_lost_minutes: float | None
    days: float
    reason: str
    curve: list[Point] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    acted_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the suggestion differs from the current threshold."""
        return (
            self.suggested is not None
            and self.current is not None
            and not math.isclose(self.suggested, self.current)
        )

    def to_json(self) -> dict[str, Any]:
        """The type as `tune --json` prints it (fields are added, never renamed)."""
        return {
            "model": self.model,
            "kind": self.kind,
            "feature": self.feature,
            "parameter": self.parameter,
            "key": self.key,
            "current": self.current,
            "suggested": self.suggested,
            "episodes_now": self.episodes_now,
            "episodes_suggested": self.episodes_suggested,
            "acted_total": self.acted_total,
            "acted_kept": self.acted_kept,
            "noise_total": self.noise_total,
            "noise_dropped": self.noise_dropped,
            "lead_lost_minutes": self.lead_lost_minutes,
            "days": round(self.days, 2),
            "reason": self.reason,
            "acted_alert_ids": self.acted_ids,
            "changes": [c.to_json() for c in self.changes],
            "curve": [p.to_json() for p in self.curve],
        }


def _times(n: int) -> str:
    if n == 0:
        return "never"
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _stored(outcomes: list[Outcome], preceded: set[int]) -> list[StoredAlert]:
    out = []
    for o in outcomes:
        breach = o.alert_id in preceded and not o.acted
        out.append(
            StoredAlert(
                o.alert_id,
                o.fingerprint,
                o.first_window_start,
                o.first_seen,
                max(o.last_seen, o.first_seen),
                o.acted or breach,
                o.noise,
                o.ignored,
                "breach" if breach else ("acted" if o.acted else None),
            )
        )
    return out


def tune_type(
    key: TypeKey,
    rows: list[dict[str, Any]],
    outcomes: list[Outcome],
    preceded: set[int],
    settings: Settings,
    recall: float = 1.0,
) -> Tuning:
    """Back-test one alert type and suggest its threshold."""
    model_name, kind, feature = key
    rule = RULES.get(kind)
    alerts = _stored(outcomes, preceded)
    acted = [a for a in alerts if a.acted]
    noise = [a for a in alerts if a.noise or a.ignored]
    judged = [r for r in rows if r["status"] != "insufficient"]
    days = (
        (
            max(r["window_end"] for r in judged) - min(r["window_start"] for r in judged)
        ).total_seconds()
        / 86400
        if judged
        else 0.0
    )
    base: dict[str, Any] = {
        "model": model_name,
        "kind": kind,
        "feature": feature,
        "acted_total": len(acted),
        "noise_total": len(noise),
        "days": days,
        "acted_ids": [a.alert_id for a in acted],
    }
    model = settings.config.models.get(model_name)
    current = rule.current(model, feature) if rule is not None and model is not None else None
    if rule is None or model is None or current is None:
        why = (
            f"{kind} thresholds are not tuned from the record"
            if rule is None or model is None
            else f"{kind} thresholds of {feature} come from the baseline, window by window"
        )
        return Tuning(
            parameter=rule.parameter if rule else None,
            key=None,
            current=current,
            suggested=None,
            episodes_now=len(alerts),
            episodes_suggested=None,
            acted_kept=None,
            noise_dropped=None,
            lead_lost_minutes=None,
            reason=f"{_name(key)}: {why}",
            **base,
        )
    cuts: dict[str, list[datetime]] = defaultdict(list)
    for o in outcomes:
        if o.resolved_by is not None and o.resolved_at is not None:
            cuts[o.fingerprint].append(o.resolved_at)
    replay = Replay(rule, rows, settings.config.alerting.resolve_after, dict(cuts))
    observed = replay.statistics()
    grid = candidates(rule, observed, current, alerts)
    # Only thresholds at least as quiet as the current one are worth suggesting: a
    # noisier one would merge alerts into longer episodes and look "quieter" by count.
    quiet = [t for t in grid if (t >= current if rule.direction == "above" else t <= current)]
    replay.prepare(current)
    points = [judge(t, replay.episodes(t), alerts) for t in quiet]
    now_point = next(p for p in points if p.threshold == current)
    path = ".".join(rule.key_path(model_name, feature))
    common = {
        **base,
        "parameter": rule.parameter,
        "key": path,
        "current": current,
        "episodes_now": now_point.episodes,
        "curve": points,
    }
    if days < MIN_HISTORY.days or now_point.episodes < MIN_EPISODES:
        short = (
            f"{days:.1f} days judged; needs {MIN_HISTORY.days}"
            if days < MIN_HISTORY.days
            else f"fired {_times(now_point.episodes)} in {days:.0f} days; "
            f"needs {MIN_EPISODES} episodes"
        )
        return Tuning(
            suggested=None,
            episodes_suggested=None,
            acted_kept=None,
            noise_dropped=None,
            lead_lost_minutes=None,
            reason=f"{_name(key)}: too little history to tune ({short})",
            **common,
        )
    need = math.ceil(recall * len(acted) - 1e-9)
    best = choose(points, need, current, rule)
    if best is None:
        # The current threshold itself misses episodes someone acted on (it was raised
        # since): look on the noisier side too.
        replay.prepare(None)
        points = [judge(t, replay.episodes(t), alerts) for t in grid]
        best = choose(points, need, current, rule) or now_point
    suggested = current if best.threshold == current else neat(rule, best.threshold, observed)
    if suggested != best.threshold:
        # The neat number grades every observed window as the chosen one does; replay
        # it anyway, so what is printed is what was replayed.
        best = judge(suggested, replay.episodes(suggested), alerts)
    by_id = {o.alert_id: o for o in outcomes}
    changes = [
        Change(i, _outcome(by_id[i], preceded), by_id[i].first_seen)
        for i in sorted((*best.missed, *best.dropped))
        if i not in now_point.missed
    ]
    tuning = Tuning(
        suggested=suggested,
        episodes_suggested=best.episodes,
        acted_kept=best.acted_kept,
        noise_dropped=best.noise_dropped,
        lead_lost_minutes=best.lead_lost_minutes,
        reason="",
        changes=changes,
        **common,
    )
    return _with_reason(tuning, key, rule.parameter, len(alerts))


def _outcome(o: Outcome, preceded: set[int]) -> str:
    if o.acted:
        return "acted"
    if o.alert_id in preceded:
        return "breach"
    if o.noise:
        return "noise"
    return "ignored" if o.ignored else "open"


def _name(key: TypeKey) -> str:
    model, kind, feature = key
    return f"{model}/{kind}" + (f"/{feature}" if feature else "")


def _with_reason(t: Tuning, key: TypeKey, parameter: str, stored: int) -> Tuning:
    at = f"at {parameter} {t.suggested:g}"
    kept = t.acted_kept or 0
    if t.acted_total == 0:
        tail = f"and it was never acted on in {stored} stored episodes"
    elif kept == t.acted_total:
        tail = f"missing none of the {t.acted_total} you acted on"
    else:
        tail = f"missing {t.acted_total - kept} of the {t.acted_total} you acted on"
    if t.lead_lost_minutes and kept:
        tail += f" (firing up to {num(t.lead_lost_minutes)} min later)"
    if not t.changed:
        reason = (
            f"{_name(key)}: keep {parameter} {t.current:g}: it fired "
            f"{_times(t.episodes_now)}, {tail}"
        )
    else:
        reason = (
            f"{_name(key)}: {at} this would have fired {_times(t.episodes_suggested or 0)} "
            f"instead of {t.episodes_now}, {tail}"
        )
    return Tuning(**{**t.__dict__, "reason": reason})


def tune(
    store: Store,
    settings: Settings,
    *,
    since: datetime,
    model: str | None = None,
    kind: str | None = None,
    recall: float = 1.0,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Tuning]:
    """Back-test every alert type that ever fired (of `model`, of `kind`) on results from
    `since` on, and suggest a threshold for each. `progress(done, total, type)` hears
    of each type as its back-test starts."""
    with store.read() as con:
        types = fetch_rows(con, "tuning_types", {"since": since})
        outcomes = read_outcomes(con)
        wanted: list[TypeKey] = []
        fired = {o.type for o in outcomes if o.first_window_start >= since}
        for t in types:
            k: TypeKey = (str(t["model"]), str(t["kind"]), t["feature"])
            if model is not None and k[0] != model:
                continue
            if kind is not None and k[1] != kind:
                continue
            if k in fired:
                wanted.append(k)
        rows = {
            k: fetch_rows(
                con,
                "tuning_results",
                {"model": k[0], "kind": k[1], "feature": k[2], "since": since},
            )
            for k in wanted
            if k[1] in RULES
        }
    preceded = set(preceded_drops(outcomes))
    by_type: dict[TypeKey, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.first_window_start >= since:
            by_type[o.type].append(o)
    out = []
    for i, k in enumerate(wanted):
        if progress is not None:
            progress(i, len(wanted), _name(k))
        series = rows.get(k, [])
        for r in series:
            r["detail"] = json.loads(r["detail"] or "{}")
        out.append(tune_type(k, series, by_type[k], preceded, settings, recall))
    return out
