"""The drift methods a config may name, which feature types each fits, their default
thresholds, and a feature's own `drift:` section (used by `settings`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DriftMethod = Literal["psi", "js", "ks", "wasserstein", "chi2"]
NumericDriftMethod = Literal["psi", "js", "ks", "wasserstein"]
CategoricalDriftMethod = Literal["psi", "js", "chi2"]
Thresholds = Literal["fixed", "reference"]
DRIFT_METHODS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "numeric": ("psi", "js", "ks", "wasserstein"),
    "categorical": ("psi", "js", "chi2"),
}
# (warn, crit) of each drift method when the config gives none, set so that every
# method flags about the same shift (about a 0.3 and a 0.5 standard-deviation shift of
# a normal feature; a 50/50 category going 65/35 and 75/25). ks: the KS statistic;
# wasserstein: in units of the baseline's interquartile range; chi2: Cramér's V.
DRIFT_DEFAULTS: dict[str, tuple[float, float]] = {
    "psi": (0.1, 0.25),
    "js": (0.1, 0.2),
    "ks": (0.1, 0.2),
    "wasserstein": (0.15, 0.3),
    "chi2": (0.15, 0.25),
}


class FeatureDrift(BaseModel):
    """One feature's own drift method and thresholds, over the `checks.drift` ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: DriftMethod | None = None
    warn: float | None = Field(default=None, gt=0)
    crit: float | None = Field(default=None, gt=0)
    thresholds: Thresholds | None = None

    @model_validator(mode="after")
    def _ordered(self) -> FeatureDrift:
        if self.warn is not None and self.crit is not None and self.warn > self.crit:
            raise ValueError(f"warn ({self.warn}) is above crit ({self.crit})")
        return self

    def misfit(self, kind: str) -> str | None:
        """Why the method does not apply to a feature of type ``kind``, or None."""
        fits = DRIFT_METHODS_BY_TYPE[kind]
        if self.method is None or self.method in fits:
            return None
        return (
            f"drift.method {self.method!r} does not apply to a {kind} feature; "
            f"expected one of {', '.join(fits)}"
        )
