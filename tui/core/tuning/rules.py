"""What a threshold means for each kind of check that can be tuned: the statistic the
check compares, which way it fails, how a window is graded at a candidate threshold
(exactly as the check grades it), where the threshold lives in `oncall.yaml`, and the
value it has now.

A candidate threshold t makes a window fail when its statistic is above t (null
rates, drift) or below t (the volume ratio). Rates are graded by their 99.9% Wilson
lower bound (`grade_rate`), so the statistic of a completeness window is that bound,
recomputed from the stored counts, not the raw rate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tui.core.checks.distances import fixed_thresholds, wants_reference
from tui.core.checks.drift import follow_overall
from tui.core.checks.results import (
    RATE_Z,
    Result,
    Status,
    grade_above,
    grade_rate,
    localize,
    rate_lower_bound,
)
from tui.core.config.settings import Model

Direction = Literal["above", "below"]
Row = dict[str, Any]


def _detail(row: Row) -> dict[str, Any]:
    detail = row["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail or "{}")
        row["detail"] = detail
    return dict(detail)


@dataclass(frozen=True)
class Rule:
    """How one kind's threshold is replayed and written."""

    kind: str
    parameter: str  # the config key's last part, as the user knows it
    direction: Direction
    statistic: Callable[[Row], float | None]
    grade: Callable[[Row, float], Status]
    key_path: Callable[[str, str | None], list[str]]
    current: Callable[[Model, str | None], float | None]
    low: float  # the smallest value the key accepts
    high: float | None  # the largest (None: unbounded)
    # How the check covers failing slices by the whole, after grading (as it does).
    cover: Callable[[list[Result]], None] = localize

    def fails(self, statistic: float, threshold: float) -> bool:
        """Whether a window with this statistic fails at this threshold."""
        return statistic > threshold if self.direction == "above" else statistic < threshold


# ---------------------------------------------------------------- completeness


def _null_bound(row: Row) -> float | None:
    n = row["n"]
    if row["status"] == "insufficient" or not n:
        return None
    nulls = int(_detail(row).get("nulls", 0))
    return rate_lower_bound(nulls, int(n), RATE_Z)


def _grade_nulls(row: Row, t: float) -> Status:
    if row["status"] == "insufficient":
        return "insufficient"
    nulls = int(_detail(row).get("nulls", 0))
    # The check's own critical level for a null budget (see quality.evaluate_rows).
    return grade_rate(nulls, int(row["n"] or 0), t, max(2 * t, t + 0.1))


def _max_null(model: Model, feature: str | None) -> float | None:
    spec = model.features.get(feature or "")
    return None if spec is None else spec.max_null


COMPLETENESS = Rule(
    "completeness",
    "max_null",
    "above",
    _null_bound,
    _grade_nulls,
    lambda m, f: ["models", m, "features", str(f), "max_null"],
    _max_null,
    0.0,
    1.0,
)


# ---------------------------------------------------------------- drift


def _drift_value(row: Row) -> float | None:
    value = row["value"]
    return None if row["status"] == "insufficient" or value is None else float(value)


def _grade_drift(row: Row, t: float) -> Status:
    if row["status"] == "insufficient":
        return "insufficient"
    crit = float(_detail(row).get("crit", t))
    return grade_above(_drift_value(row), t, max(crit, t))


def _drift_warn(model: Model, feature: str | None) -> float | None:
    if feature is None or feature not in model.features or wants_reference(model, feature):
        return None  # thresholds derived from the baseline window by window: not one number
    return fixed_thresholds(model, feature).warn


DRIFT = Rule(
    "drift",
    "drift.warn",
    "above",
    _drift_value,
    _grade_drift,
    lambda m, f: ["models", m, "features", str(f), "drift", "warn"],
    _drift_warn,
    1e-6,
    None,
)


def _cover_scores(results: list[Result]) -> None:
    localize(results)
    follow_overall(results)


def _score_warn(model: Model, _feature: str | None) -> float | None:
    if wants_reference(model, "score"):
        return None
    return fixed_thresholds(model, "score").warn


# The score has no feature entry: its drift is graded by the model's own
# `checks.drift` thresholds (which features without their own `drift.warn` share; the
# writer pins theirs, so tuning the score leaves them as they were).
SCORE_DRIFT = Rule(
    "score_drift",
    "drift.warn",
    "above",
    _drift_value,
    _grade_drift,
    lambda m, _f: ["models", m, "checks", "drift", "warn"],
    _score_warn,
    1e-6,
    None,
    _cover_scores,
)


# ---------------------------------------------------------------- volume


def _volume_ratio(row: Row) -> float | None:
    value = row["value"]
    return None if row["status"] == "insufficient" or value is None else float(value)


def _grade_volume(row: Row, t: float) -> Status:
    status: Status = row["status"]
    ratio = _volume_ratio(row)
    if ratio is None:
        return "insufficient"
    if ratio >= 1:
        return status  # a surge: judged by max_ratio, which is not what is tuned here
    if ratio < t:
        return "critical" if ratio < t / 2 else "warning"
    return "pass"


def _min_ratio(model: Model, _feature: str | None) -> float | None:
    return model.checks.volume.min_ratio


VOLUME = Rule(
    "volume",
    "volume.min_ratio",
    "below",
    _volume_ratio,
    _grade_volume,
    lambda m, _f: ["models", m, "checks", "volume", "min_ratio"],
    _min_ratio,
    0.0,
    1.0,
)

RULES: dict[str, Rule] = {r.kind: r for r in (COMPLETENESS, DRIFT, SCORE_DRIFT, VOLUME)}
