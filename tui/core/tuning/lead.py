"""Lead indicators: which data-quality and drift alert types fired before the model's
realised performance dropped (an SLO breach, or the gap to offline, found once labels
came), by how long, and how often they fired with no drop after. The answer to "what
can be watched in real time while labels are late"."""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.core.store.connection import Store, fetch_rows
from tui.core.tuning.kinds import EARLY_KINDS, REALISED_DROP_KINDS
from tui.core.tuning.record import Outcome, TypeKey, preceded_drops, read_outcomes


@dataclass(frozen=True)
class LeadIndicator:
    """One early alert type's record against the model's realised drops."""

    model: str
    kind: str
    feature: str | None
    episodes: int
    preceded: int  # episodes followed by a realised drop
    drops_total: int  # realised drops of the model
    drops_preceded: int  # of those, how many this type fired before
    median_lead_hours: float | None
    min_lead_hours: float | None

    @property
    def without_drop(self) -> int:
        """Episodes after which no drop came."""
        return self.episodes - self.preceded

    @property
    def precision(self) -> float | None:
        """The share of its episodes that a drop followed."""
        return self.preceded / self.episodes if self.episodes else None

    def to_json(self) -> dict[str, Any]:
        """The indicator as `tune --lead --json` prints it."""
        return {
            "model": self.model,
            "kind": self.kind,
            "feature": self.feature,
            "episodes": self.episodes,
            "preceded": self.preceded,
            "without_drop": self.without_drop,
            "precision": self.precision,
            "drops_total": self.drops_total,
            "drops_preceded": self.drops_preceded,
            "median_lead_hours": self.median_lead_hours,
            "min_lead_hours": self.min_lead_hours,
        }


def lead_indicators(outcomes: Sequence[Outcome], model: str | None = None) -> list[LeadIndicator]:
    """Per early alert type of each model (or of `model`), its record before realised
    drops; the types that preceded the most drops first."""
    before = preceded_drops(outcomes)
    drops: dict[str, set[int]] = defaultdict(set)
    for o in outcomes:
        if o.kind in REALISED_DROP_KINDS:
            drops[o.model].add(o.alert_id)
    types: dict[TypeKey, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.kind in EARLY_KINDS and (model is None or o.model == model):
            types[o.type].append(o)
    out = []
    for (m, kind, feature), eps in types.items():
        hits = [before[o.alert_id] for o in eps if o.alert_id in before]
        leads = [h.lead.total_seconds() / 3600 for h in hits]
        out.append(
            LeadIndicator(
                model=m,
                kind=kind,
                feature=feature,
                episodes=len(eps),
                preceded=len(hits),
                drops_total=len(drops.get(m, ())),
                drops_preceded=len({h.drop_alert_id for h in hits}),
                median_lead_hours=statistics.median(leads) if leads else None,
                min_lead_hours=min(leads) if leads else None,
            )
        )
    out.sort(key=lambda i: (i.model, -i.drops_preceded, -(i.precision or 0), i.kind))
    return out


def read_lead_indicators(store: Store, model: str | None = None) -> list[LeadIndicator]:
    """Lead indicators from the stored alerts."""
    with store.read() as con:
        outcomes = read_outcomes(con)
    return lead_indicators(outcomes, model)


@dataclass
class LeadCache:
    """Lead indicators by type, kept until the store changes: they are read from every
    stored alert, and the alert stream reloads far more often than the record moves.
    Keyed by the store's change counter, read on the same connection as the record."""

    changes: int | None = None
    leads: dict[TypeKey, LeadIndicator] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, store: Store) -> dict[TypeKey, LeadIndicator]:
        """The lead indicators of every type, read again only if the store changed."""
        with self._lock:
            with store.read() as con:
                changes = int(fetch_rows(con, "store_changes")[0]["changes"])
                if changes == self.changes:
                    return self.leads
                outcomes = read_outcomes(con)
            self.leads = {(i.model, i.kind, i.feature): i for i in lead_indicators(outcomes)}
            self.changes = changes
            return self.leads
