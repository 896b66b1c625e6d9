"""The `checks:` section (and each model's own): windows, thresholds and supports of
every check kind."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tui.core.config.drift_methods import (
    DRIFT_DEFAULTS,
    DRIFT_METHODS_BY_TYPE,
    CategoricalDriftMethod,
    DriftMethod,
    NumericDriftMethod,
)
from tui.core.config.times import Months, format_duration, period_text
from tui.core.config.types import Duration, Fraction, PeriodWindow, Strict

DAY = timedelta(days=1)


class VolumeCheck(Strict):
    min_ratio: float = Field(default=0.5, ge=0)
    max_ratio: float = Field(default=2.0, gt=0)


class FreshnessCheck(Strict):
    max_lag: Duration = timedelta(hours=2)


class DriftCheck(Strict):
    """How drift is measured and graded. `metric` is every feature's method where it
    applies (ks and wasserstein to numbers, chi2 to categories; the other type keeps
    psi); `numeric_method` and `categorical_method` set one type's. `warn` and `crit`
    given here apply to every method; left out, each method has its own
    (DRIFT_DEFAULTS). `thresholds: reference` derives them from the baseline instead."""

    metric: DriftMethod = "psi"
    numeric_method: NumericDriftMethod | None = None
    categorical_method: CategoricalDriftMethod | None = None
    warn: float = Field(default=0.1, gt=0)
    crit: float = Field(default=0.25, gt=0)
    thresholds: Literal["fixed", "reference"] = "fixed"
    bins: int = Field(default=10, ge=2, le=100)
    min_support: int = Field(default=500, ge=1)
    # The trailing span judged at every check window: a duration, or calendar months
    # (1mo: back to the same time and day of the previous month, clamped to its end).
    window: PeriodWindow = timedelta(days=1)

    def method_for(self, kind: str) -> str:
        """The method for a feature of type ``kind`` (numeric or categorical)."""
        own = self.numeric_method if kind == "numeric" else self.categorical_method
        if own is not None:
            return own
        return self.metric if self.metric in DRIFT_METHODS_BY_TYPE[kind] else "psi"

    def limits(self, method: str) -> tuple[float, float]:
        """(warn, crit) for ``method``: the ones given here, else the method's defaults."""
        warn, crit = DRIFT_DEFAULTS[method]
        given = self.model_fields_set
        return (
            self.warn if "warn" in given else warn,
            self.crit if "crit" in given else crit,
        )

    @model_validator(mode="after")
    def _ordered(self) -> DriftCheck:
        for kind in DRIFT_METHODS_BY_TYPE:
            warn, crit = self.limits(self.method_for(kind))
            if warn > crit:
                raise ValueError(f"warn ({warn}) is above crit ({crit})")
        return self


class RateCheck(Strict):
    """Thresholds on the fraction of rows that break a rule (bounds, allowed values)."""

    warn: Fraction = 0.001
    crit: Fraction = 0.01


class GapCheck(Strict):
    """How much worse than offline validation production may be (relative gap)."""

    warn: float = Field(default=0.1, gt=0)
    crit: float = Field(default=0.25, gt=0)
    window: PeriodWindow = timedelta(days=1)  # or calendar months: 1mo
    min_labeled: int = Field(default=100, ge=1)


class DistinctCheck(Strict):
    """A baseline value counts as vanished when at least `min_expected` rows of it were
    expected in the window (from its baseline share) and none came; it stays vanished
    until its share is back to `recover_share` of its baseline share."""

    min_expected: float = Field(default=10.0, gt=0)
    # Hysteresis: a value whose share fell to near zero, with a stray row now and then,
    # is one incident, not one that opens and resolves with every stray row.
    recover_share: float = Field(default=0.5, gt=0, le=1)


class Checks(Strict):
    """Which checks run and over what windows."""

    # A duration, or calendar months (1mo: [the 1st 00:00 UTC, the next 1st)).
    window: PeriodWindow = timedelta(hours=1)
    volume: VolumeCheck = Field(default_factory=VolumeCheck)
    freshness: FreshnessCheck = Field(default_factory=FreshnessCheck)
    drift: DriftCheck = Field(default_factory=DriftCheck)
    bounds: RateCheck = Field(default_factory=RateCheck)
    allowed_values: RateCheck = Field(default_factory=RateCheck)
    distinct: DistinctCheck = Field(default_factory=DistinctCheck)
    offline_gap: GapCheck = Field(default_factory=GapCheck)
    min_rows: int = Field(default=30, ge=1)
    # One `oncall check` evaluates at most this many windows of each kind; the rest
    # wait for the next run, which resumes from the watermark.
    max_windows_per_run: int = Field(default=2000, ge=1, le=100_000)
    # A check insufficient for every window it ever evaluated, over at least this long
    # (and at least three windows), raises one `never_judged` warning: silence that
    # would otherwise look like health.
    never_judged_after: Duration = timedelta(days=3)

    @model_validator(mode="after")
    def _months_drift_in_months(self) -> Checks:
        # Also when drift is left at its default (1d): judged once a month, a drift
        # window of a day would read only the month's last day.
        if isinstance(self.window, Months) and not isinstance(self.drift.window, Months):
            raise ValueError(
                f"checks.window is {self.window}: set checks.drift.window to whole months "
                f"too (such as {self.window}), not {period_text(self.drift.window)}"
            )
        return self

    @field_validator("drift")
    @classmethod
    def _drift_in_whole_windows(cls, drift: DriftCheck, info: ValidationInfo) -> DriftCheck:
        # Drift is judged every check window over the trailing drift window, summed
        # from whole check windows; rounding would judge a span other than the one set.
        window = info.data.get("window")
        if isinstance(window, Months):
            # Judged once a month over the trailing months: whole months of them.
            if not isinstance(drift.window, Months) or drift.window.count % window.count:
                raise ValueError(
                    f"window ({period_text(drift.window)}) must be whole windows of "
                    f"checks.window ({window}): set checks.drift.window: {window}"
                )
            return drift
        if isinstance(window, timedelta) and isinstance(drift.window, Months):
            # A month back from a window's end keeps its time of day: whole check
            # windows only when they divide a day.
            if DAY % window:
                raise ValueError(
                    f"window ({drift.window}) is in calendar months, which need check "
                    f"windows that divide a day (checks.window is {format_duration(window)})"
                )
            return drift
        if (
            isinstance(window, timedelta)
            and isinstance(drift.window, timedelta)
            and (drift.window % window)
        ):
            raise ValueError(
                f"window ({format_duration(drift.window)}) must be a whole number of "
                f"check windows (checks.window is {format_duration(window)})"
            )
        return drift
