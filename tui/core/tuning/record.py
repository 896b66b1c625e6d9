"""The team's record, read once: every stored alert with what people did with it, and
which data-quality and drift alerts preceded a realised performance drop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from tui.core.store.connection import fetch_rows
from tui.core.tuning.kinds import EARLY_KINDS, REALISED_DROP_KINDS

# An early alert counts as preceding a drop when its first window began at most this
# long before the drop's first failing window began.
LEAD_WINDOW = timedelta(days=1)

TypeKey = tuple[str, str, str | None]


@dataclass(frozen=True)
class Outcome:
    """One stored alert and what came of it."""

    alert_id: int
    fingerprint: str
    model: str
    kind: str
    feature: str | None
    slice: str | None
    severity: str
    state: str
    first_window_start: datetime
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    acted: bool
    acted_at: datetime | None
    noise: bool
    ignored: bool

    @property
    def type(self) -> TypeKey:
        """The alert type: model, kind, feature."""
        return (self.model, self.kind, self.feature)

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> Outcome:
        return cls(
            alert_id=int(r["alert_id"]),
            fingerprint=str(r["fingerprint"]),
            model=str(r["model"]),
            kind=str(r["kind"]),
            feature=r["feature"],
            slice=r["slice"],
            severity=str(r["severity"]),
            state=str(r["state"]),
            first_window_start=r["first_window_start"],
            first_seen=r["first_seen"],
            last_seen=r["last_seen"],
            resolved_at=r["resolved_at"],
            resolved_by=r["resolved_by"],
            acted=bool(r["acted"]),
            acted_at=r["acted_at"],
            noise=bool(r["noise"]),
            ignored=bool(r["ignored"]),
        )


def read_outcomes(con: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Every stored, not retracted alert with what people did with it."""
    return [Outcome.from_row(r) for r in fetch_rows(con, "tuning_alert_outcomes")]


@dataclass(frozen=True)
class Preceded:
    """An early alert followed by a realised drop of the same model."""

    alert_id: int
    drop_alert_id: int
    lead: timedelta  # how much sooner the early alert was known than the drop


def preceded_drops(outcomes: Sequence[Outcome]) -> dict[int, Preceded]:
    """Per early (data-quality or drift) alert id, the realised drop it preceded: a drop
    of the same model whose first window began at most LEAD_WINDOW after the early
    alert's, and that became known after it did. Of each type, only the episode
    nearest before a drop counts (a type that fires all day would otherwise "precede"
    every drop many times), and never one a person marked noise."""
    drops = sorted(
        (o for o in outcomes if o.kind in REALISED_DROP_KINDS), key=lambda o: o.first_seen
    )
    nearest: dict[tuple[int, TypeKey], Outcome] = {}
    for o in outcomes:
        if o.kind not in EARLY_KINDS or o.noise:
            continue
        for d in drops:
            if d.model != o.model or d.first_seen <= o.first_seen:
                continue
            start = d.first_window_start
            if start - LEAD_WINDOW <= o.first_window_start <= start:
                key = (d.alert_id, o.type)
                best = nearest.get(key)
                if best is None or o.first_window_start > best.first_window_start:
                    nearest[key] = o
    out: dict[int, Preceded] = {}
    for (drop_id, _type), o in sorted(nearest.items(), key=lambda kv: kv[0][0]):
        if o.alert_id not in out:
            drop = next(d for d in drops if d.alert_id == drop_id)
            out[o.alert_id] = Preceded(o.alert_id, drop_id, drop.first_seen - o.first_seen)
    return out
