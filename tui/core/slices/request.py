"""What to slice: the model, window, filters and grouping, and the checks on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.core.config.settings import CHECKS_ONLY_METRICS, METRICS_BY_TASK, Model
from tui.core.config.times import floor_time
from tui.core.errors import UsageError
from tui.core.store.filters import Filter, unknown_column


@dataclass
class Request:
    """What to slice: the model, window, version, filters and grouping."""

    model_name: str
    model: Model
    since: datetime
    until: datetime
    now: datetime
    version: str | None = None
    filters: list[Filter] = field(default_factory=list)


def groupable(model: Model) -> list[str]:
    """Columns that slices may be grouped by."""
    return [*model.slices, "model_version"]


def check_columns(req: Request, columns: list[str]) -> None:
    """A UsageError listing the valid columns when one is not groupable."""
    valid = groupable(req.model)
    for column in columns:
        if column not in valid:
            raise unknown_column(req.model_name, column, valid, field="by", kind="slice column")


def default_window(now: datetime, days: int = 7) -> tuple[datetime, datetime]:
    """The last `days` whole days up to the current hour."""
    until = floor_time(now, timedelta(hours=1))
    return floor_time(until - timedelta(days=days), timedelta(days=1)), until


def primary_metric(model: Model) -> str:
    """The metric slices are ranked by when none is given."""
    return {"binary": "accuracy", "multiclass": "accuracy", "regression": "mae"}[model.task]


def check_metric(model_name: str, model: Model, metric: str) -> None:
    """A UsageError listing the valid metrics when `metric` is not one of them."""
    valid = [m for m in METRICS_BY_TASK[model.task] if m not in CHECKS_ONLY_METRICS]
    if metric not in valid:
        raise UsageError(
            f"metric {metric!r} is not one of {', '.join(valid)} for "
            f"{model.task} model {model_name!r}",
            field="metric",
        )
