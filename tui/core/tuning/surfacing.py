"""A quieter stream that drops nothing: the surfacing policy (`alerting.surface`).

Alert types whose track record is below the bar are *held* in a digest — listed,
counted, shown in the handoff — instead of interrupting the stream (or, later, paging).
Nothing is dropped: a held alert is stored and acted on like any other. `held()` is
the one predicate both faces and a notifier ask.

A type's standing counts its last `last` episodes, but never further back than the
latest one someone acted on: so the moment an engineer acts on one of its alerts the
type is surfaced again, and it is held again only after `min_episodes` more episodes
pass with too few acted on. An alert is never held when it is critical (its value
crossed its critical threshold), when someone acted on it, or when it is about the
model's performance (SLO and estimated-SLO alerts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tui.core.store.connection import Store
from tui.core.tuning.kinds import PERFORMANCE_KINDS
from tui.core.tuning.record import Outcome, TypeKey, read_outcomes


class Surface(Protocol):
    """The policy's three numbers (`alerting.surface`): the config's model, or the
    same numbers remembered for a config already checked."""

    @property
    def min_acted_share(self) -> float: ...

    @property
    def last(self) -> int: ...

    @property
    def min_episodes(self) -> int: ...


@dataclass(frozen=True)
class Standing:
    """A type's track record as the policy counts it at one moment."""

    counted: int  # episodes counted (the last `last`, back to the latest acted on)
    acted: int  # of those, acted on by then
    held: bool

    @property
    def share(self) -> float | None:
        """The acted-on share of the counted episodes (None with none counted)."""
        return self.acted / self.counted if self.counted else None

    def to_json(self) -> dict[str, Any]:
        """The standing as JSON."""
        return {
            "counted": self.counted,
            "acted": self.acted,
            "share": self.share,
            "held": self.held,
        }


def standing(policy: Surface, history: Sequence[Outcome], at: datetime) -> Standing:
    """A type's standing at `at`, from its episodes first seen by then (in any order);
    an episode counts as acted on when someone acted on it by `at`."""
    seen = sorted((o for o in history if o.first_seen <= at), key=lambda o: o.first_seen)
    window = seen[-policy.last :]

    def acted(o: Outcome) -> bool:
        return o.acted and o.acted_at is not None and o.acted_at <= at

    latest = max((i for i, o in enumerate(window) if acted(o)), default=None)
    if latest is not None:
        window = window[latest:]
    n_acted = sum(1 for o in window if acted(o))
    held = len(window) >= policy.min_episodes and n_acted < policy.min_acted_share * len(window)
    return Standing(len(window), n_acted, held)


def held(
    policy: Surface | None,
    kind: str,
    severity: str,
    acted_on: bool,
    history: Sequence[Outcome],
    at: datetime,
) -> bool:
    """Whether an alert of this kind and severity is held in the digest at `at` rather
    than interrupting the stream. `history` is its type's stored episodes (the alert's
    own among them or not); `acted_on` says someone acted on the alert itself."""
    if policy is None or kind in PERFORMANCE_KINDS:
        return False
    if severity == "critical" or acted_on:
        return False
    return standing(policy, history, at).held


@dataclass(frozen=True)
class Digest:
    """The alerts held back at a moment, with their types' standings."""

    held_ids: frozenset[int]
    standings: dict[TypeKey, Standing]
    by_type: dict[TypeKey, list[int]]

    def to_json(self) -> dict[str, Any]:
        """The digest as `alerts list --digest --json` and the handoff print it."""
        return {
            "held": len(self.held_ids),
            "types": [
                {
                    "model": k[0],
                    "kind": k[1],
                    "feature": k[2],
                    "alert_ids": ids,
                    **self.standings[k].to_json(),
                }
                for k, ids in sorted(self.by_type.items(), key=lambda kv: str(kv[0]))
            ],
        }


def digest_of(policy: Surface | None, outcomes: Sequence[Outcome], at: datetime) -> Digest:
    """Which of the given alerts are held at `at`, judging each by its type's record."""
    types: dict[TypeKey, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        types[o.type].append(o)
    held_ids: set[int] = set()
    by_type: dict[TypeKey, list[int]] = defaultdict(list)
    standings: dict[TypeKey, Standing] = {}
    for key, history in types.items():
        for o in history:
            if o.first_seen > at:
                continue
            acted_now = o.acted and o.acted_at is not None and o.acted_at <= at
            if held(policy, o.kind, o.severity, acted_now, history, at):
                held_ids.add(o.alert_id)
                by_type[key].append(o.alert_id)
                if policy is not None:
                    standings[key] = standing(policy, history, at)
    return Digest(frozenset(held_ids), standings, dict(by_type))


def read_digest(store: Store, policy: Surface | None, at: datetime) -> Digest:
    """The digest at `at` over every stored alert (a list filters it to what it shows)."""
    if policy is None:
        return Digest(frozenset(), {}, {})
    with store.read() as con:
        outcomes = read_outcomes(con)
    return digest_of(policy, outcomes, at)


def held_as_it_opened(policy: Surface | None, outcomes: Sequence[Outcome]) -> set[int]:
    """The alerts the policy would have held when each first fired, judged on the
    record as it stood then: what the stream would have interrupted with."""
    types: dict[TypeKey, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        types[o.type].append(o)
    out = set()
    for history in types.values():
        for o in history:
            before = [h for h in history if h.first_seen < o.first_seen]
            if held(policy, o.kind, o.severity, False, before, o.first_seen):
                out.add(o.alert_id)
    return out
