"""``oncall.yaml``: the typed configuration and the loader that validates it.

Errors name the file, the key path (``models.fraud.features.amount.max``), the line
and what was expected. Unknown keys are errors, never silently ignored.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tui.core.config.alerting import Alerting, Surface
from tui.core.config.checks import (
    Checks,
    DistinctCheck,
    DriftCheck,
    FreshnessCheck,
    GapCheck,
    RateCheck,
    VolumeCheck,
)
from tui.core.config.drift_methods import (
    FeatureDrift,
)
from tui.core.config.lake import LakeSource
from tui.core.config.locate import CONFIG_ENV, DEFAULT_CONFIG_NAME, DEMO_BUILDING, find_config
from tui.core.config.notify import route_named
from tui.core.config.times import parse_timestamp
from tui.core.config.types import (
    ClassLabel,
    Duration,
    Fraction,
    PeriodWindow,
    Strict,
    Trailing,
)
from tui.core.config.yamlfile import KeyPath, YamlError, load_yaml_file
from tui.core.errors import ConfigError

# The sections that live in their own modules, importable from here as before.
__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "DEMO_BUILDING",
    "Alerting",
    "Checks",
    "ClassLabel",
    "DistinctCheck",
    "DriftCheck",
    "Duration",
    "Fraction",
    "FreshnessCheck",
    "GapCheck",
    "RateCheck",
    "Strict",
    "Surface",
    "VolumeCheck",
    "find_config",
]


# Columns the data contract and the store own; a slice or feature may not reuse them.
RESERVED_COLUMNS = frozenset(
    {
        "model",
        "prediction_id",
        "ts",
        "prediction",
        "prediction_value",
        "score",
        "model_version",
        "label",
        "label_value",
        "labeled_at",
        "ingested_at",
        "ingest_id",
    }
)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

METRICS_BY_TASK: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "precision", "recall", "f1", "fpr", "predicted_positive_rate", "auc"),
    "multiclass": ("accuracy", "macro_f1", "weighted_f1"),
    # mape is a fraction (0.1 = 10%) over the rows whose label is not zero.
    "regression": ("mae", "rmse", "bias", "mape", "r2"),
}
# Metrics where a larger value is worse; an SLO on them sets ``max``.
LOWER_IS_BETTER = frozenset({"fpr", "mae", "rmse", "mape"})
# Metrics that need label sums the daily rollups do not keep: checks (SLOs, offline
# gap) evaluate them from raw rows; slice views do not offer them yet.
CHECKS_ONLY_METRICS = frozenset({"mape", "r2"})


class Feature(Strict):
    """A model input worth monitoring."""

    type: Literal["numeric", "categorical"]
    min: float | None = None
    max: float | None = None
    allowed: list[ClassLabel] | None = None
    max_null: Fraction = 0.01
    drift: FeatureDrift | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Feature:
        misfit = self.drift.misfit(self.type) if self.drift else None
        if misfit is not None:
            raise ValueError(misfit)
        if self.type == "categorical" and (self.min is not None or self.max is not None):
            raise ValueError("min and max apply to numeric features only")
        if self.type == "numeric" and self.allowed is not None:
            raise ValueError("allowed applies to categorical features only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


def _baseline_time(value: Any) -> Any:
    # A date (2026-10-01) stays a date: as an end it includes that whole day. Anything
    # with a time of day (2026-10-01T06:00) is a UTC timestamp, and an end is exclusive.
    if isinstance(value, datetime | date) or not isinstance(value, str):
        return value
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    return parse_timestamp(text)


BaselineTime = Annotated[datetime | date, BeforeValidator(_baseline_time)]
BaselineKind = Literal["window", "file", "model_version", "last"]


def _instant(moment: date, end: bool) -> datetime:
    if isinstance(moment, datetime):
        return moment
    start = datetime.combine(moment, datetime.min.time())
    return start + timedelta(days=1) if end else start


class Baseline(Strict):
    """What drift, vanished categories, score drift and (with labels) the offline gap
    compare against. Exactly one kind:

    - ``start`` and ``end``: stored predictions served in that range; a date end takes
      in that whole day, a timestamp end (``2026-10-07T18:00``) is exclusive;
    - ``file``: a reference dataset in the predictions contract (Parquet, CSV or JSON
      lines; path relative to this config file, never globbed), optionally with a
      ``label`` column whose metrics stand in for missing ``offline:`` ones;
    - ``model_version``: the stored predictions of that model version;
    - ``last``: the trailing duration (``7d``, or calendar months: ``1mo``) before
      each evaluated day, leaving out
      windows when a drift or data-quality alert of the model was firing.

    Without a baseline, drift compares against the model's first week."""

    start: BaselineTime | None = None
    end: BaselineTime | None = None
    file: str | None = Field(default=None, min_length=1)
    model_version: str | None = Field(default=None, min_length=1)
    last: Trailing | None = None

    @property
    def kind(self) -> BaselineKind:
        """Which of the four kinds this baseline is."""
        if self.file is not None:
            return "file"
        if self.model_version is not None:
            return "model_version"
        if self.last is not None:
            return "last"
        return "window"

    def window(self) -> tuple[datetime, datetime] | None:
        """``[start, end)`` as UTC timestamps for a start/end baseline, else None."""
        if self.start is None or self.end is None:
            return None
        return _instant(self.start, end=False), _instant(self.end, end=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Baseline:
        given = [k for k in ("file", "model_version", "last") if getattr(self, k) is not None]
        if self.start is not None or self.end is not None:
            given.append("start/end")
        if len(given) != 1:
            # Refused rather than guessed: drift must never silently compare against
            # something other than what the config says.
            got = f"got {' and '.join(given)}" if given else "got none"
            raise ValueError(
                "give exactly one kind of baseline: `file`, `start` and `end`, "
                f"`model_version` or `last`; {got}"
            )
        if given == ["start/end"]:
            if self.start is None or self.end is None:
                raise ValueError("give both start and end")
            start, end = _instant(self.start, end=False), _instant(self.end, end=True)
            if start > end:
                raise ValueError(f"start {self.start} is after end {self.end}")
            if start == end:
                raise ValueError(
                    f"start {self.start} is not before end {self.end} (an end with a time "
                    "of day is exclusive): the baseline is empty"
                )
        return self


# What an SLO may name as `estimated_<metric>` (judged before labels arrive), per task.
ESTIMATED_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "precision", "recall", "f1", "auc"),
    "multiclass": ("accuracy", "macro_f1"),
    "regression": ("mae", "rmse"),
}
ESTIMATED_PREFIX = "estimated_"
# A multiclass model's per-class scores come in one column per declared class.
CLASS_SCORE_PREFIX = "score_"


def class_score_column(cls: str) -> str:
    """The data contract's column for a multiclass model's score of one class."""
    return f"{CLASS_SCORE_PREFIX}{cls}"


class Estimates(Strict):
    """How performance is estimated before labels arrive: the calibration map of the
    scores (``isotonic``, ``binned`` or ``none``), fitted on the baseline's labelled rows
    or on the latest ``fit_window`` of days whose labels have arrived
    (``fit_on: latest_labelled``)."""

    calibration: Literal["isotonic", "binned", "none"] = "isotonic"
    fit_on: Literal["baseline", "latest_labelled"] = "baseline"
    fit_window: Duration = timedelta(days=7)


class LabelPolicy(Strict):
    """When labels are expected to arrive."""

    expected_delay: Duration = timedelta(days=3)
    min_fraction: Fraction = 0.8


class Slo(Strict):
    """A service-level objective on a production metric."""

    metric: str
    min: float | None = None
    max: float | None = None
    window: PeriodWindow = timedelta(days=1)  # or calendar months: 1mo, a monthly SLO
    min_labeled: int = Field(default=100, ge=1)
    by: str | None = None

    @model_validator(mode="after")
    def _bound(self) -> Slo:
        if self.min is None and self.max is None:
            raise ValueError("an SLO needs min or max")
        return self


class Model(Strict):
    """One production model and what to watch on it."""

    task: Literal["binary", "multiclass", "regression"]
    positive: ClassLabel | None = None
    threshold: Fraction = 0.5
    classes: list[ClassLabel] | None = None
    slices: list[str] = Field(default_factory=list)
    features: dict[str, Feature] = Field(default_factory=dict)
    baseline: Baseline | None = None
    offline: dict[str, float] = Field(default_factory=dict)
    labels: LabelPolicy = Field(default_factory=LabelPolicy)
    slos: list[Slo] = Field(default_factory=list)
    estimates: Estimates = Field(default_factory=Estimates)
    source: LakeSource | None = None  # a lake model: aggregated where its data lives
    # The global `checks:` with this model's own `checks:` laid over it, key by key
    # (filled in by Config): a 165-rows-a-day model and a million-rows-a-day one
    # need different windows and supports in one file.
    checks: Checks = Field(default_factory=Checks)

    @field_validator("slices")
    @classmethod
    def _unique_slices(cls, slices: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in slices:
            _check_identifier(name)
            if name in seen:
                raise ValueError(f"slice {name!r} is declared twice")
            seen.add(name)
        return slices

    @field_validator("features")
    @classmethod
    def _feature_names(cls, features: dict[str, Feature]) -> dict[str, Feature]:
        for name in features:
            _check_identifier(name)
        return features

    @model_validator(mode="after")
    def _consistent(self) -> Model:
        # A column may be both a slice and a feature (country, device: a model input and
        # a way to cut the traffic): it is stored once, typed and monitored as the
        # feature, and grouped by as a slice.
        if self.task == "binary" and self.positive is None:
            raise ValueError("a binary model needs `positive`, the positive class")
        valid = METRICS_BY_TASK[self.task]
        for name in self.offline:
            if name not in valid:
                raise ValueError(f"offline metric {name!r} is not one of {', '.join(valid)}")
        estimated = [ESTIMATED_PREFIX + m for m in ESTIMATED_METRICS[self.task]]
        for slo in self.slos:
            if slo.metric not in valid and slo.metric not in estimated:
                raise ValueError(
                    f"SLO metric {slo.metric!r} is not one of {', '.join([*valid, *estimated])} "
                    f"for a {self.task} model"
                )
            if slo.by is not None and slo.by not in self.slices:
                raise ValueError(f"SLO `by: {slo.by}` is not one of the slices {self.slices}")
        return self


def overlay(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on it: nested mappings merged key by key, anything
    else in ``over`` replacing what ``base`` had."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = overlay(out[key], value)
        else:
            out[key] = value
    return out


def _check_identifier(name: str) -> None:
    if not IDENTIFIER.match(name):
        raise ValueError(
            f"column name {name!r} must start with a letter or _ and hold only "
            "letters, digits and _"
        )
    if name in RESERVED_COLUMNS:
        raise ValueError(f"column name {name!r} is reserved by the data contract")


class ShadowPolicy(Strict):
    """When a trainee is ready to be primary."""

    min_recall_actionable: Fraction = 0.9
    last_sessions: int = Field(default=2, ge=1)
    max_false_alarm_rate: Fraction = 0.5


class IngestPolicy(Strict):
    """Which prediction timestamps are believable: a row stamped 1970 or 9999 is a bug
    upstream, and checking it would mean evaluating decades of empty windows."""

    # A row served more than this after "now" is refused.
    max_future: Duration = timedelta(days=1)
    # A row served more than this before the model's baseline start (or, with no
    # baseline window, before "now") is refused.
    max_past: Duration = timedelta(days=365)


class TeamMember(Strict):
    """One person on the roster. Names compare case-insensitively. ``logins`` are the
    OS logins allowed to act as this member; with none listed, the login that equals
    the member's name is."""

    name: str = Field(min_length=1)
    role: Literal["veteran", "engineer", "trainee"] = "engineer"
    logins: list[str] = Field(default_factory=list)

    def allows_login(self, login: str) -> bool:
        """Whether the OS ``login`` may act as this member."""
        allowed = self.logins or [self.name]
        return login.casefold() in {a.casefold() for a in allowed}


class Config(Strict):
    """The whole validated ``oncall.yaml``."""

    store: str = "oncall.duckdb"
    timezone: str = "UTC"
    models: dict[str, Model]
    checks: Checks = Field(default_factory=Checks)
    alerting: Alerting = Field(default_factory=Alerting)
    team: list[TeamMember] = Field(default_factory=list)
    # Believe `--as NAME` (and $ONCALL_USER) whatever the OS login: for a shared
    # sandbox such as the demo. Off, acting as a roster member needs one of their logins.
    trust_as: bool = False
    shadow: ShadowPolicy = Field(default_factory=ShadowPolicy)
    ingest: IngestPolicy = Field(default_factory=IngestPolicy)

    @model_validator(mode="before")
    @classmethod
    def _model_checks(cls, data: Any) -> Any:
        # Each model's `checks` is the global section overlaid with its own keys. A
        # global section that does not validate is left to report itself, once.
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            return data
        shared = data.get("checks", {})
        if shared is None:
            shared = {}
        try:
            Checks.model_validate(shared)
        except ValidationError:
            return data
        models = {}
        for name, model in data["models"].items():
            if isinstance(model, dict):
                own = model.get("checks", {})
                merged = overlay(shared, own) if isinstance(own, dict) else own
                model = {**model, "checks": merged}
            models[name] = model
        return {**data, "models": models}

    @field_validator("models")
    @classmethod
    def _models(cls, models: dict[str, Model]) -> dict[str, Model]:
        if not models:
            raise ValueError("declare at least one model")
        for name in models:
            # A model's predictions live in a table named after it.
            if not re.match(r"^[A-Za-z][A-Za-z0-9_]{0,47}$", name):
                raise ValueError(
                    f"model name {name!r} must start with a letter and hold only letters, "
                    "digits and _"
                )
        # The `predictions` view unions every model: a shared column must mean one type.
        kinds: dict[str, tuple[str, str]] = {}
        for model_name, model in models.items():
            # A slice that is also a feature takes the feature's type; a plain slice is text.
            columns = {s: "categorical" for s in model.slices}
            columns.update({f: spec.type for f, spec in model.features.items()})
            for column, kind in columns.items():
                if column in kinds and kinds[column][0] != kind:
                    other_kind, other_model = kinds[column]
                    raise ValueError(
                        f"column {column!r} is {kind} in model {model_name!r} but "
                        f"{other_kind} in model {other_model!r}"
                    )
                kinds[column] = (kind, model_name)
        return models

    @field_validator("team")
    @classmethod
    def _team(cls, team: list[TeamMember]) -> list[TeamMember]:
        seen: dict[str, str] = {}
        for member in team:
            first = seen.get(member.name.casefold())
            if first is not None:
                also = "" if first == member.name else f" (as {first!r} too)"
                raise ValueError(f"team member {member.name!r} is listed twice{also}")
            seen[member.name.casefold()] = member.name
        owner: dict[str, str] = {}
        for member in team:
            for login in {login.casefold() for login in member.logins}:
                if login in owner:
                    raise ValueError(
                        f"login {login!r} is listed for both {owner[login]!r} and {member.name!r}"
                    )
                owner[login] = member.name
        return team

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, tz: str) -> str:
        if tz != "UTC":
            raise ValueError("only UTC is supported; timestamps are stored and shown in UTC")
        return tz


class Settings(BaseModel):
    """A loaded config and where it came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path
    # Set by whoever opened the tool to look, not to act (a console served to watchers):
    # the role rule then refuses every change. Not a config key.
    read_only: bool = False

    def as_read_only(self) -> Settings:
        """The same settings, for a process that may look but change nothing."""
        return self.model_copy(update={"read_only": True})

    @property
    def store_path(self) -> Path:
        """The store file, resolved relative to the config file."""
        store = Path(self.config.store)
        return store if store.is_absolute() else (self.path.parent / store).resolve()

    def model(self, name: str) -> Model:
        """The named model, or a ConfigError listing the declared ones."""
        try:
            return self.config.models[name]
        except KeyError:
            known = ", ".join(sorted(self.config.models))
            raise ConfigError(f"unknown model {name!r}; declared models: {known}") from None

    def member(self, user: str) -> TeamMember | None:
        """The roster member ``user`` names (case-insensitively), or None."""
        wanted = user.casefold()
        for member in self.config.team:
            if member.name.casefold() == wanted:
                return member
        return None

    def member_of_login(self, login: str) -> TeamMember | None:
        """The roster member who lists the OS ``login`` among their logins, or None."""
        wanted = login.casefold()
        for member in self.config.team:
            if wanted in {x.casefold() for x in member.logins}:
                return member
        return None

    def canonical_name(self, user: str) -> str:
        """``user`` spelled as the roster spells it (``Bob`` is ``bob``); a login a
        member lists stands for that member; anyone else keeps their name."""
        member = self.member(user) or self.member_of_login(user)
        return member.name if member else user

    def role_of(self, user: str) -> str | None:
        """The roster role of ``user`` (case-insensitively), or None if not on the team."""
        member = self.member(user)
        return member.role if member else None


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind.endswith("_parsing") or kind.endswith("_type") or kind == "literal_error":
        return f"{message}, got {value!r}"
    return message


def _line_for(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def parse_config(data: Any, lines: dict[KeyPath, int], source: str) -> Config:
    """Validate parsed YAML into a Config; raise ConfigError naming every problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys such as `models:` at the top")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            # pydantic adds "[key]" style parts for dict keys of unions; keep names only
            key_path = ".".join(str(p) for p in path) or "(top level)"
            line = _line_for(lines, path)
            where = f"{source}:{line}" if line else source
            said = _describe(dict(error))
            route = route_named(data, path)
            if route is not None and f"route {route!r}" not in said:
                said = f"route {route!r}: {said}"
            problems.append(f"{where}: {key_path}: {said}")
        raise ConfigError("\n".join(problems)) from None


def load_config(explicit: str | Path | None = None, *, building: bool = False) -> Settings:
    """Find, read and validate the config; raise ConfigError with file, key path and line.
    A config of a demo that was not finished building is refused (unless ``building``:
    the builder itself reading it)."""
    path = find_config(explicit)
    if not path.exists():
        raise ConfigError(f"{path}: no config file; run `oncall init` to write one", field="config")
    folder = path.resolve().parent
    if not building and (folder / DEMO_BUILDING).exists():
        raise ConfigError(
            f"the demo in {folder} was not finished building; "
            f"run `oncall demo --fresh --dir {folder}`",
            field="config",
        )
    try:
        data, lines = load_yaml_file(path)
    except YamlError as exc:
        raise ConfigError(str(exc)) from None
    return Settings(config=parse_config(data, lines, str(path)), path=path.resolve())
