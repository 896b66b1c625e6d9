"""Scenario specs: a described world of models, traffic, labels, incidents and shifts.

A spec lives in ``fixtures/scenarios/NAME.yaml``. Times inside a scenario are written
relative to its start (``day 9 14:00``), so one spec can be anchored at any moment;
with the same spec, seed, scale and anchor the simulator's output is identical.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

import tui
from tui.core.config.settings import ClassLabel, TeamMember, parse_config
from tui.core.config.yamlfile import YamlError, load_yaml_file
from tui.core.errors import ConfigError
from tui.core.work.bugs import ROOT_CAUSES

_DAY = re.compile(r"^day\s+(\d+)(?:\s+(\d{1,2}):(\d{2}))?$")


def _offset(value: Any) -> timedelta:
    if isinstance(value, int | float):
        return timedelta(hours=float(value))
    match = _DAY.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a time such as 'day 9 14:00' or 'day 3', got {value!r}")
    day, hour, minute = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time of day in {value!r}")
    return timedelta(days=day, hours=hour, minutes=minute)


Offset = Annotated[timedelta, BeforeValidator(_offset)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SliceSpec(Spec):
    values: list[ClassLabel]
    weights: list[float] | None = None
    effect: dict[str, float] = Field(default_factory=dict)  # value -> logit (or target) shift


class FeatureSpec(Spec):
    type: Literal["numeric", "categorical"]
    dist: Literal["normal", "lognormal", "exponential", "uniform"] = "normal"
    mean: float = 0.0
    sd: float = 1.0
    low: float = 0.0
    high: float = 1.0
    round: int | None = None
    values: list[ClassLabel] = Field(default_factory=list)
    weights: list[float] | None = None
    nulls: float = Field(default=0.0, ge=0, le=1)
    weight: float = 0.0  # effect of the standardised value on the truth
    effect: dict[str, float] = Field(default_factory=dict)  # category -> effect
    # Declared expectations written into oncall.yaml:
    min: float | None = None
    max: float | None = None
    allowed: bool = False
    max_null: float = 0.01
    # The feature's own drift limits in oncall.yaml ({warn, crit}), when set by hand.
    drift: dict[str, float] | None = None


class LabelSpec(Spec):
    median_delay_hours: float = Field(default=48.0, gt=0)
    sigma: float = Field(default=0.6, ge=0)
    never: float = Field(default=0.05, ge=0, le=1)


class VersionSpec(Spec):
    name: str
    start: Offset = timedelta(0)


class ModelSpec(Spec):
    task: Literal["binary", "multiclass", "regression"]
    positive: ClassLabel | None = None
    classes: list[ClassLabel] = Field(default_factory=list)
    threshold: float = 0.5
    rows_per_day: float = Field(gt=0)
    weekly: list[float] = Field(default_factory=lambda: [1.0] * 7)
    daily_amplitude: float = Field(default=0.5, ge=0, lt=1)
    versions: list[VersionSpec] = Field(default_factory=lambda: [VersionSpec(name="v1")])
    slices: dict[str, SliceSpec] = Field(default_factory=dict)
    features: dict[str, FeatureSpec] = Field(default_factory=dict)
    intercept: float = 0.0
    noise: float = Field(default=1.0, ge=0)  # regression noise / model error
    calibration: float = Field(default=1.0, gt=0)
    labels: LabelSpec = Field(default_factory=LabelSpec)
    config: dict[str, Any] = Field(default_factory=dict)  # extra oncall.yaml keys

    @model_validator(mode="after")
    def _shape(self) -> ModelSpec:
        if len(self.weekly) != 7:
            raise ValueError("weekly takes seven factors, Monday first")
        if self.task == "multiclass" and len(self.classes) < 3:
            raise ValueError("a multiclass model needs at least three classes")
        if self.task == "binary" and self.positive is None:
            raise ValueError("a binary model needs `positive`")
        for name in set(self.slices) & set(self.features):
            # The column holds the slice's values, which the model also reads.
            feature = self.features[name]
            if feature.type != "categorical" or set(feature.values) - set(self.slices[name].values):
                raise ValueError(
                    f"{name!r} is a slice and a feature: declare it categorical, its values "
                    "among the slice's"
                )
        return self


IncidentType = Literal[
    "null_burst",
    "vanished_categories",
    "flipped_labels",
    "corrupted_default",
    "upstream_stall",
    "volume_drop",
    "gradual_drift",
    "score_drift",
    "label_delay_spike",
]

# The alert kind each incident type is expected to raise (checked by the tests).
EXPECTED_KIND: dict[str, str] = {
    "null_burst": "completeness",
    "vanished_categories": "distinct",
    "flipped_labels": "slo",
    "corrupted_default": "bounds",
    "upstream_stall": "freshness",
    "volume_drop": "volume",
    "gradual_drift": "drift",
    "score_drift": "score_drift",
    "label_delay_spike": "label_delay",
}


class IncidentSpec(Spec):
    id: str
    type: IncidentType
    model: str
    title: str
    root_cause: Literal[ROOT_CAUSES]  # type: ignore[valid-type]
    start: Offset
    end: Offset
    feature: str | None = None
    slice: dict[str, ClassLabel] | None = None
    strength: float = 1.0
    values: list[ClassLabel] = Field(default_factory=list)
    value: float | None = None
    version: str | None = None

    @model_validator(mode="after")
    def _fields(self) -> IncidentSpec:
        if self.end <= self.start:
            raise ValueError("end must come after start")
        needs_feature = ("null_burst", "vanished_categories", "corrupted_default", "gradual_drift")
        if self.type in needs_feature and not self.feature:
            raise ValueError(f"a {self.type} incident needs `feature`")
        if self.type == "flipped_labels" and not self.slice:
            raise ValueError("a flipped_labels incident needs `slice`")
        if self.type == "vanished_categories" and not self.values:
            raise ValueError("a vanished_categories incident needs `values`")
        if self.type == "corrupted_default" and self.value is None:
            raise ValueError("a corrupted_default incident needs `value`")
        return self


class DecisionSpec(Spec):
    incident: str
    action: Literal["acted", "bug", "noise", "ignored"]
    note: str
    after_minutes: int = Field(default=20, ge=0)
    bug_title: str | None = None
    priority: Literal["P0", "P1", "P2", "P3"] = "P2"
    mitigation: str | None = None


class ShiftSpec(Spec):
    id: str
    primary: str
    shadows: list[str] = Field(default_factory=list)
    start: Offset
    end: Offset
    decisions: list[DecisionSpec] = Field(default_factory=list)
    noise_note: str = "checked the slice, within normal range"
    # What the primary does with the alerts of the shift no decision names: "noise"
    # marks each one noise; "first" marks the first of each alert type noise, with the
    # reason `noise_notes` gives for its kind (else `noise_note`), and leaves the
    # type's later ones alone, so they resolve by themselves, ignored.
    others: Literal["noise", "first"] = "noise"
    noise_notes: dict[str, str] = Field(default_factory=dict)


class ScenarioSpec(Spec):
    """A whole simulated world."""

    name: str
    description: str = ""
    days: int = Field(default=14, ge=2, le=120)
    seed: int = 7
    baseline_days: int = Field(default=5, ge=1)
    team: list[TeamMember] = Field(default_factory=list)
    checks: dict[str, Any] = Field(default_factory=dict)
    alerting: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, ModelSpec]
    incidents: list[IncidentSpec] = Field(default_factory=list)
    shifts: list[ShiftSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> ScenarioSpec:
        ids = [i.id for i in self.incidents]
        if len(ids) != len(set(ids)):
            raise ValueError("incident ids must be unique")
        names = {m.name for m in self.team}
        for inc in self.incidents:
            if inc.model not in self.models:
                raise ValueError(f"incident {inc.id}: unknown model {inc.model!r}")
            model = self.models[inc.model]
            if inc.feature and inc.feature not in model.features:
                raise ValueError(f"incident {inc.id}: unknown feature {inc.feature!r}")
            for col in inc.slice or {}:
                if col not in model.slices:
                    raise ValueError(f"incident {inc.id}: unknown slice column {col!r}")
        for shift in self.shifts:
            for person in [shift.primary, *shift.shadows]:
                if names and person not in names:
                    raise ValueError(f"shift {shift.id}: {person!r} is not on the team")
            for decision in shift.decisions:
                if decision.incident not in ids:
                    raise ValueError(f"shift {shift.id}: unknown incident {decision.incident!r}")
        return self

    def oncall_config(self, start: datetime, store: str = "oncall.duckdb") -> dict[str, Any]:
        """The oncall.yaml this world would be monitored with (validated)."""
        models: dict[str, Any] = {}
        base_end = (start + timedelta(days=self.baseline_days - 1)).date()
        for name, spec in self.models.items():
            features: dict[str, Any] = {}
            for fname, f in spec.features.items():
                entry: dict[str, Any] = {"type": f.type, "max_null": f.max_null}
                if f.min is not None:
                    entry["min"] = f.min
                if f.max is not None:
                    entry["max"] = f.max
                if f.allowed:
                    entry["allowed"] = list(f.values)
                if f.drift:
                    entry["drift"] = dict(f.drift)
                features[fname] = entry
            model: dict[str, Any] = {
                "task": spec.task,
                "slices": list(spec.slices),
                "features": features,
                "baseline": {"start": start.date().isoformat(), "end": base_end.isoformat()},
            }
            if spec.task == "binary":
                model["positive"] = spec.positive
                model["threshold"] = spec.threshold
            if spec.task == "multiclass":
                model["classes"] = list(spec.classes)
            model.update(spec.config)
            models[name] = model
        config: dict[str, Any] = {"store": store, "timezone": "UTC", "models": models}
        if self.checks:
            config["checks"] = self.checks
        if self.alerting:
            config["alerting"] = self.alerting
        config["team"] = [m.model_dump() for m in self.team]
        # A sandbox is shared: its tour acts `--as` each person on the team.
        config["trust_as"] = True
        parse_config(config, {}, f"scenario {self.name}")
        return config


def scenarios_dir() -> Path:
    """Where the shipped scenarios are: in the installed package or the source tree."""
    package = Path(tui.__file__).parent
    for candidate in (package / "scenarios", package.parent / "fixtures" / "scenarios"):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"no scenarios directory beside {package}")


def scenario_names() -> list[str]:
    """The names of the shipped scenarios."""
    return sorted(p.stem for p in scenarios_dir().glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> ScenarioSpec:
    """Load a shipped scenario by name, or a spec file by path; raise ConfigError."""
    path = Path(name_or_path)
    if not path.suffix:
        path = scenarios_dir() / f"{name_or_path}.yaml"
        if not path.exists():
            raise ConfigError(
                f"no scenario {name_or_path!r}; shipped: {', '.join(scenario_names())}"
            )
    try:
        data, lines = load_yaml_file(path)
    except YamlError as exc:
        raise ConfigError(str(exc)) from None
    from pydantic import ValidationError

    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        line = lines.get(tuple(first["loc"]))
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: {key}: {first['msg']}") from None
