"""The config against the data: `oncall config check`.

A config that loads can still not fit the store it watches: a slice declared under a
name the pipeline never writes, a baseline window from before the first prediction,
`min_support: 500` on a model that serves 165 rows a day. Each of those is silent at
run time (the check is "insufficient" forever, the column is all NULL), so this says
them up front, one problem per finding, in the user's words, naming the config key
path to change.

Errors are what makes a check wrong or impossible (a type the store contradicts, a
baseline with no rows, a support no window ever reaches); warnings are what makes one
weak or not yet possible (a column never delivered, a support most windows miss).
Without a store, only what the config alone can tell is checked.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb

from tui.core.checks.baseline import VERSION_WEEK
from tui.core.config.settings import Model, Settings
from tui.core.config.times import Months, Period, floor_time, period_text
from tui.core.ingest.load import model_columns
from tui.core.store.connection import Store, fetch_rows
from tui.core.store.sqlparts import (
    Fragment,
    grouping_sets,
    ident,
    predictions_table,
    raw,
    slice_keys,
    which_slice,
)

Severity = Literal["error", "warning"]
# Traffic is judged on the most recent stored weeks: the config must fit today's load.
TRAFFIC_LOOKBACK = timedelta(days=28)
DAY = timedelta(days=1)
DAYS_A_MONTH = 30.44  # the mean length of a calendar month


@dataclass(frozen=True)
class Problem:
    """One way the config does not fit the data, and the key path to change."""

    model: str | None
    key: str
    severity: Severity
    message: str

    def to_json(self) -> dict[str, Any]:
        """The problem as `oncall config check --json` prints it."""
        return {
            "model": self.model,
            "key": self.key,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class ConfigReport:
    """Every problem found; `store` is the store checked against (None: there was none,
    and only the config alone was checked)."""

    problems: list[Problem] = field(default_factory=list)
    store: Path | None = None

    @property
    def ok(self) -> bool:
        """No errors (warnings alone leave the config usable)."""
        return not any(p.severity == "error" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """`ok`, `problems`, and which store was read (`store`, null without one)."""
        return {
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "store": None if self.store is None else str(self.store),
        }


def check_config(settings: Settings, store: Store | None, now: datetime) -> ConfigReport:
    """Check the config against the store (or, with `store` None, the config alone)."""
    problems: list[Problem] = []
    for name, model in settings.config.models.items():
        problems += _config_alone(settings, name, model, now)
    if store is None:
        return ConfigReport(problems, None)
    with store.read() as con:
        problems += _undeclared_models(con, settings)
        for name, model in settings.config.models.items():
            problems += _against_store(con, settings, name, model, now)
    return ConfigReport(problems, store.path)


# ---------------------------------------------------------------- the config alone


def _config_alone(settings: Settings, name: str, model: Model, now: datetime) -> list[Problem]:
    out: list[Problem] = []
    at = f"models.{name}.baseline"
    base = model.baseline
    if base is None:
        return out
    window = base.window() if hasattr(base, "window") else None
    if window is not None:
        start, end = window
        if start >= now:
            out.append(
                Problem(
                    name,
                    f"{at}.start",
                    "warning",
                    f"the baseline of model {name} starts {start:%Y-%m-%d %H:%M}, after now: "
                    f"drift has nothing to compare with until then; move {at}.start earlier",
                )
            )
        elif end > now:
            out.append(
                Problem(
                    name,
                    f"{at}.end",
                    "warning",
                    f"the baseline of model {name} ends {end:%Y-%m-%d %H:%M}, after now: it "
                    f"is still filling, so drift compares against a moving target; move "
                    f"{at}.end to a finished day",
                )
            )
    file = getattr(base, "file", None)
    if isinstance(file, str):
        path = Path(file).expanduser()
        path = path if path.is_absolute() else settings.path.parent / path
        if not path.is_file():
            out.append(
                Problem(
                    name,
                    f"{at}.file",
                    "error",
                    f"the baseline file of model {name}, {path}, does not exist; "
                    f"fix {at}.file (relative to the config file)",
                )
            )
    return out


# ---------------------------------------------------------------- against the store


def _undeclared_models(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Problem]:
    out = []
    declared = set(settings.config.models)
    for row in fetch_rows(con, "predictions_tables"):
        model = str(row["table_name"]).removeprefix("predictions__")
        if model not in declared:
            out.append(
                Problem(
                    model,
                    "models",
                    "warning",
                    f"the store holds predictions of model {model}, which the config no "
                    "longer declares: nothing checks them; declare it again under models "
                    "if it still serves",
                )
            )
    return out


def _column_key(name: str, model: Model, column: str) -> str:
    return (
        f"models.{name}.features.{column}" if column in model.features else f"models.{name}.slices"
    )


def _what(model: Model, column: str) -> str:
    if column in model.features and column in model.slices:
        return "slice and feature"
    return "feature" if column in model.features else "slice"


def _against_store(
    con: duckdb.DuckDBPyConnection, settings: Settings, name: str, model: Model, now: datetime
) -> list[Problem]:
    table_name = f"predictions__{name}"
    stored = {
        str(r["column_name"]): str(r["data_type"])
        for r in fetch_rows(con, "store_columns", {"table_name": table_name})
    }
    if not stored:
        return [
            Problem(
                name,
                f"models.{name}",
                "warning",
                f"model {name} has no predictions in the store yet: its columns, baseline "
                "and windows are checked once some are ingested",
            )
        ]
    out: list[Problem] = []
    declared = model_columns(model)
    present = [c for c in declared if c in stored]
    for column, sql_type in declared.items():
        key = _column_key(name, model, column)
        what = _what(model, column)
        if column not in stored:
            out.append(
                Problem(
                    name,
                    key,
                    "warning",
                    f"{what} {column!r} of model {name} is not in the store yet (declared "
                    "after the last ingest); the next ingest of predictions adds it",
                )
            )
        elif stored[column] != sql_type:
            declared_as = "numeric" if sql_type == "DOUBLE" else "categorical"
            held = "numbers" if stored[column] == "DOUBLE" else "text"
            out.append(
                Problem(
                    name,
                    f"{key}.type" if column in model.features else key,
                    "error",
                    f"{what} {column!r} of model {name} is declared {declared_as} but the "
                    f"store holds it as {held}: the next ingest will be refused; declare "
                    "its type as stored, or give it a new column name",
                )
            )
    counts = raw(
        ", ".join(f"count({ident(c)}) AS {ident('nn__' + c)}" for c in present) or "0 AS none"
    )
    facts = fetch_rows(con, "config_check_delivered", table=predictions_table(name), counts=counts)[
        0
    ]
    n = int(facts["n"])
    if n == 0:
        out.append(
            Problem(
                name,
                f"models.{name}",
                "warning",
                f"model {name} has no predictions in the store yet: its baseline and windows "
                "are checked once some are ingested",
            )
        )
        return out
    for column in present:
        if int(facts[f"nn__{column}"]) == 0:
            key = _column_key(name, model, column)
            out.append(
                Problem(
                    name,
                    key,
                    "warning",
                    f"declared but never delivered: {_what(model, column)} {column!r} of "
                    f"model {name} is empty in all {n:,} stored predictions; check that the "
                    f"pipeline writes it, or remove it from {key}",
                )
            )
    first_ts: datetime = facts["first_ts"]
    last_ts: datetime = facts["last_ts"]
    out += _baseline(con, settings, name, model, first_ts, last_ts)
    usable = [s for s in model.slices if s in present]
    # A feature never delivered is said above; its drift counts nothing.
    delivered = [f for f in model.features if f in present and int(facts[f"nn__{f}"])]
    out += _traffic(con, settings, name, model, usable, delivered, first_ts, last_ts, now)
    return out


def _baseline(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    name: str,
    model: Model,
    first_ts: datetime,
    last_ts: datetime,
) -> list[Problem]:
    base = model.baseline
    at = f"models.{name}.baseline"
    support = model.checks.drift.min_support
    table = predictions_table(name)
    stored = f"stored predictions run from {first_ts:%Y-%m-%d %H:%M} to {last_ts:%Y-%m-%d %H:%M}"
    version = getattr(base, "model_version", None) if base is not None else None
    window = base.window() if base is not None and hasattr(base, "window") else None
    if base is None:
        # Drift compares with the model's first week.
        start = first_ts.replace(hour=0, minute=0, second=0, microsecond=0)
        window, what = (start, start + timedelta(days=7)), "the first week (no baseline declared)"
    elif window is not None:
        what = f"{window[0]:%Y-%m-%d %H:%M} to {window[1]:%Y-%m-%d %H:%M}"
    elif isinstance(version, str):
        # The version's first week, as the check reads it.
        span = fetch_rows(con, "baseline_version_span", {"model_version": version}, table=table)
        first = span[0]["first_ts"]
        day = floor_time(first, timedelta(days=1)) if first is not None else datetime.min
        window = (day, day + VERSION_WEEK if first is not None else datetime.max)
        what = f"model version {version!r} (its first week)"
    else:
        return []  # a file or a trailing baseline: nothing stored to count
    rows = int(
        fetch_rows(
            con,
            "config_check_rows_between",
            {"start": window[0], "end": window[1], "version": version},
            table=table,
        )[0]["n"]
    )
    if rows == 0:
        return [
            Problem(
                name,
                at,
                "error",
                f"the baseline of model {name}, {what}, holds no stored predictions: drift "
                f"has nothing to compare with; {stored}; change {at}",
            )
        ]
    if rows < support:
        key = _checks_key(settings, name, model, "drift", "min_support")
        return [
            Problem(
                name,
                at,
                "warning",
                f"the baseline of model {name}, {what}, holds {rows:,} predictions, fewer "
                f"than min_support {support:,}: drift against it is never judged; widen "
                f"{at} or lower {key}",
            )
        ]
    return []


def _checks_key(settings: Settings, name: str, model: Model, *path: str) -> str:
    """`checks.<path>` when the model takes the global value, else its own override."""
    own: Any = model.checks
    shared: Any = settings.config.checks
    for part in path:
        own, shared = getattr(own, part), getattr(shared, part)
    prefix = "checks" if own == shared else f"models.{name}.checks"
    return ".".join([prefix, *path])


def _traffic_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    slices: list[str],
    features: list[str],
    step: timedelta,
    since: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    return fetch_rows(
        con,
        "config_check_traffic",
        {"model": name, "since": since, "now": now, "step": step.total_seconds()},
        table=predictions_table(name),
        slice_keys=slice_keys(slices),
        grouping_sets=grouping_sets(["w"], slices),
        value_counts=_value_counts(features),
    )


def _value_counts(features: list[str]) -> Fragment:
    """`, count(p.f) AS nn__f` per feature: the values its drift counts (not rows)."""
    return raw("".join(f", count(p.{ident(f)}) AS {ident('nn__' + f)}" for f in features))


def _per_window(
    rows: list[dict[str, Any]],
    slices: list[str],
    field_name: str,
    step: timedelta,
    start: datetime,
    end: datetime,
) -> list[int]:
    """The overall count of each whole window in [start, end), windows with no rows
    counted as 0."""
    seen = [
        int(r[field_name])
        for r in rows
        if which_slice(r, slices) is None and r["w"] >= start and r["w"] + step <= end
    ]
    expected = max(len(seen), math.floor((end - start) / step))
    return seen + [0] * (expected - len(seen))


def _per_value(
    rows: list[dict[str, Any]],
    slices: list[str],
    column: str,
    field_name: str,
    step: timedelta,
    end: datetime,
) -> dict[str, list[int]]:
    """Per value of a slice column, its count in each whole window it appears in."""
    out: dict[str, list[int]] = {}
    for r in rows:
        where = which_slice(r, slices)
        if where is not None and where[0] == column and r["w"] + step <= end:
            out.setdefault(where[1], []).append(int(r[field_name]))
    return out


def _support(
    name: str,
    subject: str,
    counts: list[int],
    need: int,
    unit: str,
    step: Period,
    setting: str,
    key: str,
    window_key: str,
    blind: Severity = "error",
) -> Problem | None:
    """A problem when the typical window holds fewer rows than a check needs: `blind`
    (an error unless said otherwise) when no window ever held enough, so the check is
    never judged; else a warning."""
    if not counts:
        return None
    typical = statistics.median(counts)
    if typical >= need:
        return None
    never = max(counts) < need
    verdict = "will never be judged" if never else "will mostly not be judged"
    return Problem(
        name,
        key,
        blind if never else "warning",
        f"{subject} on model {name} {verdict}: about {round(typical):,} {unit} per "
        f"{period_text(step)} window, {setting} {need:,}; lower {key} or widen {window_key}",
    )


def _traffic(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    name: str,
    model: Model,
    slices: list[str],
    features: list[str],
    first_ts: datetime,
    last_ts: datetime,
    now: datetime,
) -> list[Problem]:
    out: list[Problem] = []
    checks = model.checks
    since = max(first_ts, last_ts - TRAFFIC_LOOKBACK)
    end = min(last_ts, now)
    cache: dict[timedelta, list[dict[str, Any]]] = {}

    def rows(step: timedelta) -> list[dict[str, Any]]:
        if step not in cache:
            cache[step] = _traffic_rows(con, name, slices, features, step, since, now)
        return cache[step]

    found: Problem | None
    if model.features or model.task == "binary":
        # A trailing month is longer than the traffic looked at: the days' average,
        # scaled to the months.
        drift_window = checks.drift.window
        step = drift_window if isinstance(drift_window, timedelta) else DAY

        def per_drift_window(field_name: str) -> list[int]:
            counts = _per_window(rows(step), slices, field_name, step, since, end)
            if isinstance(drift_window, Months) and counts:
                return [round(statistics.fmean(counts) * DAYS_A_MONTH * drift_window.count)]
            return counts

        found = _support(
            name,
            "drift",
            per_drift_window("n"),
            checks.drift.min_support,
            "rows",
            drift_window,
            "min_support",
            _checks_key(settings, name, model, "drift", "min_support"),
            _checks_key(settings, name, model, "drift", "window"),
        )
        out += [found] if found else []
        # Feature drift counts a feature's values, not rows: a feature often empty is
        # judged less often than the score, which every row carries.
        for feature in features:
            values = _support(
                name,
                f"drift of {feature}",
                per_drift_window(f"nn__{feature}"),
                checks.drift.min_support,
                f"{feature} values (not empty)",
                drift_window,
                "min_support",
                _checks_key(settings, name, model, "drift", "min_support"),
                _checks_key(settings, name, model, "drift", "window"),
            )
            if values is not None and (found is None or values.severity != found.severity):
                out.append(values)
    window = checks.window
    step = window if isinstance(window, timedelta) else DAY
    for column in slices:
        per_value = _per_value(rows(step), slices, column, "n", step, end)
        counts = [n for values in per_value.values() for n in values]
        if isinstance(window, Months) and counts:
            counts = [round(statistics.fmean(counts) * DAYS_A_MONTH * window.count)]
        found = _support(
            name,
            f"data quality per {column}",
            counts,
            checks.min_rows,
            "rows per value",
            window,
            "min_rows",
            _checks_key(settings, name, model, "min_rows"),
            _checks_key(settings, name, model, "window"),
            # A slice below min_rows is left out while the overall check still runs.
            blind="warning",
        )
        out += [found] if found else []
    # Labelled windows only count once their labels had time to arrive.
    settled = min(end, now - model.labels.expected_delay)
    if model.offline and settled > since:
        gap_window = checks.offline_gap.window
        step = gap_window if isinstance(gap_window, timedelta) else DAY
        labelled = _per_window(rows(step), slices, "labeled", step, since, settled)
        if isinstance(gap_window, Months) and labelled:
            # Calendar months: the days' average, scaled to the months.
            labelled = [round(statistics.fmean(labelled) * DAYS_A_MONTH * gap_window.count)]
        found = _support(
            name,
            "the offline gap",
            labelled,
            checks.offline_gap.min_labeled,
            "labelled rows",
            gap_window,
            "min_labeled",
            _checks_key(settings, name, model, "offline_gap", "min_labeled"),
            _checks_key(settings, name, model, "offline_gap", "window"),
        )
        out += [found] if found else []
    for i, slo in enumerate(model.slos):
        at = f"models.{name}.slos[{i}]"
        subject = f"SLO {slo.metric}" + (f" by {slo.by}" if slo.by else "")
        if settled <= since:
            continue
        # A window of calendar months is longer than the traffic looked at: its rows are
        # the days' average, scaled to the months.
        step = slo.window if isinstance(slo.window, timedelta) else DAY
        if slo.by is None:
            counts = _per_window(rows(step), slices, "labeled", step, since, settled)
        elif slo.by not in slices:
            continue  # not stored: said above
        else:
            per_value = _per_value(rows(step), slices, slo.by, "labeled", step, settled)
            if not any(n for values in per_value.values() for n in values):
                out.append(
                    Problem(
                        name,
                        f"{at}.by",
                        "error",
                        f"{subject} on model {name} has no labelled rows in any {slo.by}: it "
                        f"is never judged; check that labels of {name} arrive, or change "
                        f"{at}.by",
                    )
                )
                continue
            counts = [n for values in per_value.values() for n in values]
        if isinstance(slo.window, Months) and counts:
            counts = [round(statistics.fmean(counts) * DAYS_A_MONTH * slo.window.count)]
        found = _support(
            name,
            subject,
            counts,
            slo.min_labeled,
            "labelled rows" + (f" per {slo.by}" if slo.by else ""),
            slo.window,
            "min_labeled",
            f"{at}.min_labeled",
            f"{at}.window",
        )
        out += [found] if found else []
    return out
