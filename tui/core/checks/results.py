"""Check results: one value per check, slice and window, graded pass/warning/critical.

A result's fingerprint names what it measures (model, check, kind, feature, slice),
independent of key order, so the same measurement in every window shares it and an
alert can follow it through time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tui.core.slices.metrics import wilson

Status = Literal["pass", "warning", "critical", "insufficient", "covered"]
FAILING = ("warning", "critical")
PASSING = ("pass", "covered")
SEVERITY_RANK = {"warning": 1, "critical": 2}
# The kind of the finding that a check was insufficient for every window it evaluated
# (raised after a check run, by tui.core.monitor.never_judged; not a kind of check).
NEVER_JUDGED = "never_judged"


def slice_key(slice_: dict[str, str] | None) -> str | None:
    """The canonical JSON of a slice (sorted keys), or None for the whole model."""
    return _slice_key(tuple(sorted(slice_.items()))) if slice_ else None


# A run makes a result per check, slice and window: hundreds of thousands over a long
# history, yet only a few thousand distinct measurements. Their JSON and hashes are
# made once each (they were most of the time a long run spent storing its results).
@functools.lru_cache(maxsize=1 << 16)
def _slice_key(items: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(dict(items), sort_keys=True, separators=(",", ":"))


def slice_of(text: str | None) -> dict[str, str] | None:
    """A stored slice back from its JSON (`slice_key`), or None for the whole model."""
    return json.loads(text) if text else None


def fingerprint(
    model: str, check: str, kind: str, feature: str | None, slice_: dict[str, str] | None
) -> str:
    """A stable id for one measurement, the same whatever the order of slice keys."""
    items = tuple(sorted(slice_.items())) if slice_ else ()
    return _fingerprint(model, check, kind, feature, items)


@functools.lru_cache(maxsize=1 << 16)
def _fingerprint(
    model: str, check: str, kind: str, feature: str | None, items: tuple[tuple[str, str], ...]
) -> str:
    text = json.dumps(
        {"model": model, "check": check, "kind": kind, "feature": feature, "slice": dict(items)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stable(value: Any) -> Any:
    """Floats rounded to 10 significant digits, recursively.

    DuckDB sums in parallel, so the same aggregate can differ in its last bits from
    run to run; rounding keeps a repeated check from counting that as a change.
    """
    if isinstance(value, float):
        return float(f"{value:.10g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stable(v) for v in value]
    return value


@dataclass
class Result:
    """One evaluated check for one window."""

    model: str
    check: str
    kind: str
    feature: str | None
    slice: dict[str, str] | None
    window_start: datetime
    window_end: datetime
    value: float | None
    threshold: float | None
    status: Status
    n: int | None
    detail: dict[str, Any] = field(default_factory=dict)
    known_at: datetime | None = None  # default: the window's end

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.model, self.check, self.kind, self.feature, self.slice)

    def row(self, evaluated_at: datetime) -> dict[str, Any]:
        """The result as a store row."""
        return {
            "fingerprint": self.fingerprint,
            "model": self.model,
            "check_name": self.check,
            "kind": self.kind,
            "feature": self.feature,
            "slice": slice_key(self.slice),
            "window_start": self.window_start,
            "window_end": self.window_end,
            "known_at": self.known_at or self.window_end,
            "value": stable(self.value),
            "threshold": self.threshold,
            "status": self.status,
            "n": self.n,
            "detail": json.dumps(stable(self.detail), sort_keys=True, default=str),
            "evaluated_at": evaluated_at,
        }

    def to_dict(self) -> dict[str, Any]:
        """The result for `--json` output."""
        out = self.row(self.window_end)
        out.pop("evaluated_at")
        out["slice"] = self.slice
        out["detail"] = self.detail
        out["check"] = out.pop("check_name")
        return out


def grade_above(value: float | None, warn: float, crit: float) -> Status:
    """Fail when the value is above the thresholds (nulls, lag, drift)."""
    if value is None:
        return "insufficient"
    if value > crit:
        return "critical"
    if value > warn:
        return "warning"
    return "pass"


def grade_below(value: float | None, warn: float, crit: float) -> Status:
    """Fail when the value is below the thresholds (labelled fraction, volume ratio)."""
    if value is None:
        return "insufficient"
    if value < crit:
        return "critical"
    if value < warn:
        return "warning"
    return "pass"


# A failing slice is reported on its own only when it is this much worse than overall.
LOCAL_FACTOR = 1.5


def localize(results: list[Result]) -> None:
    """Report a failure where it is, not everywhere it shows.

    For one check, feature and window: when the overall result fails, a failing slice
    whose value is not clearly worse than the overall one (less than LOCAL_FACTOR
    times it) is `covered`: the overall alert carries it. So a null burst in one
    region names that region, while the tiers and devices that merely have rows from
    it stay quiet. When the overall result passes, a failing slice is a local problem
    diluted in the whole and keeps its own result.
    """
    groups: dict[tuple[str, str | None, datetime], list[Result]] = defaultdict(list)
    for r in results:
        groups[(r.check, r.feature, r.window_start)].append(r)
    for members in groups.values():
        overall = next((r for r in members if r.slice is None), None)
        if overall is None or overall.status not in FAILING or overall.value is None:
            continue
        for r in members:
            if r.slice is None or r.status not in FAILING:
                continue
            # For rates, judge the slice by its lower bound so a handful of rows in a
            # small slice does not look local by chance.
            value = r.detail.get("rate_low", r.value)
            if value is None or value < LOCAL_FACTOR * overall.value:
                r.detail["covered_by"] = "overall"
                r.status = "covered"


# Rate checks run for every feature, slice value and hour (thousands of tests a day),
# so a rate must exceed its budget at 99.9% confidence before it alerts.
RATE_Z = 3.2905


def rate_lower_bound(bad: int, n: int, z: float = 1.959963984540054) -> float:
    """The lower end of the Wilson interval of bad / n (0 when nothing is bad)."""
    if bad <= 0 or n <= 0:
        return 0.0
    interval = wilson(bad, n, z)
    assert interval is not None
    return interval[0]


def grade_rate(bad: int, n: int, warn: float, crit: float) -> Status:
    """Grade a fraction of bad rows by its Wilson lower bound, so that one bad row in a
    small slice is not an alert while a real excess is, at any size."""
    if n <= 0:
        return "insufficient"
    if bad == 0:
        return "pass"
    lower = rate_lower_bound(bad, n, RATE_Z)
    if lower > crit:
        return "critical"
    if lower > warn:
        return "warning"
    return "pass"
