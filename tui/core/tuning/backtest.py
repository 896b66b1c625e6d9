"""Back-testing thresholds on the team's own record.

For one alert type (model, kind, feature), the stored result series of every slice is
graded again at a candidate threshold exactly as the check grades it (`rules`), the
slices a failing whole covers are covered again (`localize`), and the series is cut
into episodes by the same code that makes alerts (`episodes_of`, with the same
resolve-after and the same hand-resolved cuts). Each stored alert is then judged
against the replay: an episode someone acted on (or that preceded a realised SLO
breach) is *kept* when the replay still fires during it, and how much later it would
have fired is the lead time lost; a noise or ignored one is *dropped* when the replay
stays quiet all through it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui.core.alerts.episodes import Episode, episodes_of
from tui.core.checks.results import FAILING, Result, slice_of
from tui.core.tuning.rules import Row, Rule

# Fewer judged days than this, and a type's record is too short to tune on.
MIN_HISTORY = timedelta(days=7)
# Fewer episodes than this at the current threshold, and there is nothing to learn from.
MIN_EPISODES = 3
# The candidate grid is at most about this many thresholds (plus the ones that matter).
GRID_SIZE = 40


@dataclass(frozen=True)
class StoredAlert:
    """One stored episode and what people made of it."""

    alert_id: int
    fingerprint: str
    first_window_start: datetime
    first_seen: datetime
    last_seen: datetime
    acted: bool
    noise: bool
    ignored: bool
    # Why it counts as acted on: "acted" (a person), "breach" (an SLO breach followed).
    reason: str | None = None

    @property
    def outcome(self) -> str:
        """acted, noise, ignored or open (nobody has judged it yet)."""
        if self.acted:
            return "acted"
        if self.noise:
            return "noise"
        return "ignored" if self.ignored else "open"


@dataclass(frozen=True)
class Point:
    """The replay at one candidate threshold."""

    threshold: float
    episodes: int
    acted_kept: int
    noise_dropped: int
    lead_lost_minutes: float  # the most any kept acted-on episode would fire later
    missed: tuple[int, ...]  # acted-on alert ids that would not fire
    dropped: tuple[int, ...]  # noise or ignored alert ids that would not fire

    def to_json(self) -> dict[str, Any]:
        """The point as `tune --json` prints it in a type's curve."""
        return {
            "threshold": self.threshold,
            "episodes": self.episodes,
            "acted_kept": self.acted_kept,
            "noise_dropped": self.noise_dropped,
            "lead_lost_minutes": self.lead_lost_minutes,
        }


@dataclass
class Replay:
    """A type's series prepared for replays at many thresholds."""

    rule: Rule
    rows: list[Row]
    resolve_after: int
    cuts: dict[str, list[datetime]] = field(default_factory=dict)
    # Rows that cannot fail at or beyond `floor` keep one fixed status (see `prepare`).
    _fixed: dict[int, str] = field(default_factory=dict)
    _base: list[dict[str, Any]] = field(default_factory=list)

    def statistics(self) -> list[float]:
        """Every judged window's statistic (the candidates come from these)."""
        out = []
        for r in self.rows:
            s = self.rule.statistic(r)
            if s is not None and math.isfinite(s):
                out.append(s)
        return out

    def prepare(self, floor: float | None) -> None:
        """Fix the status of every row that no threshold from `floor` on (in the quiet
        direction) can make fail: only the others are graded again per candidate.
        None: every row is graded again."""
        self._base = [
            {
                "fingerprint": r["fingerprint"],
                "check_name": r["check_name"],
                "kind": r["kind"],
                "feature": r["feature"],
                "slice": r["slice"],
                "window_start": r["window_start"],
                "window_end": r["window_end"],
                "known_at": r["known_at"],
                "value": r["value"],
                "status": r["status"],
            }
            for r in self.rows
        ]
        self._fixed = {}
        if floor is None:
            return
        for i, r in enumerate(self.rows):
            # The whole's rows are always graded again: covering a slice reads them.
            if r["status"] in FAILING or r["status"] == "covered" or r["slice"] is None:
                continue
            if r["status"] == "insufficient":
                self._fixed[i] = "insufficient"
                continue
            stat = self.rule.statistic(r)
            if stat is None or not self.rule.fails(stat, floor):
                self._fixed[i] = self.rule.grade(r, floor)

    def episodes(self, threshold: float) -> list[Episode]:
        """The episodes every slice of the type would have had at `threshold`."""
        if len(self._base) != len(self.rows):
            self.prepare(None)
        regraded: list[tuple[int, Result]] = []
        for i, r in enumerate(self.rows):
            if i in self._fixed:
                continue
            regraded.append(
                (
                    i,
                    Result(
                        model="",
                        check=str(r["check_name"]),
                        kind=str(r["kind"]),
                        feature=r["feature"],
                        slice=slice_of(r["slice"]),
                        window_start=r["window_start"],
                        window_end=r["window_end"],
                        value=r["value"],
                        threshold=threshold,
                        status=self.rule.grade(r, threshold),
                        n=r["n"],
                        detail=dict(r["detail"]) if isinstance(r["detail"], dict) else {},
                        known_at=r["known_at"],
                    ),
                )
            )
        results = [res for _i, res in regraded]
        if any(res.slice is not None for res in results):
            self.rule.cover(results)
        status = {i: res.status for i, res in regraded}
        series: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for i, base in enumerate(self._base):
            row = base
            if i in status:
                row = {**base, "status": status[i]}
            elif self._fixed.get(i, base["status"]) != base["status"]:
                row = {**base, "status": self._fixed[i]}
            series[str(base["fingerprint"])].append(row)
        out: list[Episode] = []
        for fp, rows in series.items():
            out += episodes_of(rows, self.resolve_after, self.cuts.get(fp, []))
        return out


def _fires_during(windows: Sequence[dict[str, Any]], alert: StoredAlert) -> datetime | None:
    """When the replay first knows of a failure inside the alert's span, or None."""
    for w in windows:
        if alert.first_window_start <= w["window_start"] < alert.last_seen:
            return w["known_at"]  # type: ignore[no-any-return]
    return None


def judge(threshold: float, episodes: Iterable[Episode], alerts: Sequence[StoredAlert]) -> Point:
    """Score one replay against the stored alerts of the type."""
    eps = list(episodes)
    failing = sorted(
        (w for ep in eps for w in ep.windows if w["status"] in FAILING),
        key=lambda w: w["window_start"],
    )
    kept = 0
    lost = 0.0
    missed: list[int] = []
    dropped: list[int] = []
    for a in alerts:
        first = _fires_during(failing, a)
        if a.acted:
            if first is None:
                missed.append(a.alert_id)
            else:
                kept += 1
                lost = max(lost, (first - a.first_seen).total_seconds() / 60)
        elif (a.noise or a.ignored) and first is None:
            dropped.append(a.alert_id)
    return Point(threshold, len(eps), kept, len(dropped), lost, tuple(missed), tuple(dropped))


def candidates(
    rule: Rule, observed: Sequence[float], current: float | None, alerts: Sequence[StoredAlert]
) -> list[float]:
    """Thresholds worth replaying: the observed statistics themselves (a threshold at an
    observed value is the edge where that window stops, or starts, failing), thinned
    to about GRID_SIZE by rank, plus the current threshold, within what the key
    accepts."""
    values = sorted({v for v in observed if math.isfinite(v)})
    if rule.high is not None:
        values = [v for v in values if v <= rule.high]
    values = [v for v in values if v >= rule.low]
    if len(values) > GRID_SIZE:
        step = len(values) / GRID_SIZE
        thinned = {values[int(i * step)] for i in range(GRID_SIZE)}
        thinned.add(values[-1])
        values = sorted(thinned)
    grid = set(values)
    if current is not None:
        grid.add(current)
    # Quieter than every observed value: the type would never have fired.
    if rule.direction == "below" and values:
        grid.add(max(rule.low, 0.0))
    return sorted(grid)


def neat(rule: Rule, chosen: float, grid_values: Sequence[float]) -> float:
    """The shortest decimal that grades every observed window as `chosen` does.

    For a failing-above rule every threshold in [chosen, the next observed value) fires
    the same windows; for a failing-below one every threshold in (the previous observed
    value, chosen]. The shortest number in that interval reads best in a config."""
    values = sorted(set(grid_values))
    if rule.direction == "above":
        nxt = next((v for v in values if v > chosen), None)
        for digits in range(1, 12):
            scale = float(10**digits)
            t = math.ceil(chosen * scale - 1e-9) / scale
            if t >= chosen and (nxt is None or t < nxt) and (rule.high is None or t <= rule.high):
                return t
        return chosen
    prev = next((v for v in reversed(values) if v < chosen), None)
    for digits in range(1, 12):
        scale = float(10**digits)
        t = math.floor(chosen * scale + 1e-9) / scale
        if t <= chosen and (prev is None or t > prev) and t >= rule.low:
            return t
    return chosen


def choose(points: Sequence[Point], need: int, current: float | None, rule: Rule) -> Point | None:
    """The quietest point that keeps at least `need` acted-on episodes; among equally
    quiet ones, the one nearest the current threshold (the smallest change)."""
    fit = [p for p in points if p.acted_kept >= need]
    if not fit:
        return None
    fewest = min(p.episodes for p in fit)
    quiet = [p for p in fit if p.episodes == fewest]
    if current is None:
        return quiet[0]
    return min(quiet, key=lambda p: abs(p.threshold - current))
