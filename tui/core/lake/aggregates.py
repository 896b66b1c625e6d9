"""The lake aggregates: one SQL text each (queries/lake_*.sql), the fragments they take
for a model, and the engine interface that runs them.

Each aggregate yields rows of exactly the columns of the store table it fills (the
daily rollups, the label-delay histograms), so `oncall sync` inserts them as they come
and every reader of the rollups works for a lake model as for a local one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tui.core.config.settings import Model
from tui.core.errors import OncallError
from tui.core.ingest.rollups import DELAY_STEPS, ZERO_BUCKET, slice_types
from tui.core.store.sqlparts import Fragment, ident, raw

if TYPE_CHECKING:
    import pyarrow as pa

# The relations an engine exposes to the aggregate queries, whatever the source.
PREDICTIONS_VIEW = "lake_predictions"
LABELS_VIEW = "lake_labels"
# Columns each relation must have (by the data contract's names), and optional ones an
# engine adds as NULL when the lake lacks them.
REQUIRED = {
    "predictions": ("prediction_id", "ts", "prediction"),
    "labels": ("prediction_id", "label", "labeled_at"),
}
OPTIONAL = {
    "predictions": {"score": "DOUBLE", "model_version": "VARCHAR"},
    "labels": {},
}
AGGREGATES = ("rollups", "delays")


class LakeError(OncallError):
    """A lake model cannot be read or aggregated (missing path or column, no Java, no
    pyspark, Spark would not start, a job failed): said in the user's words."""


@dataclass(frozen=True)
class Aggregate:
    """One aggregate query with its parameters and fragments, ready for an engine."""

    name: str
    params: dict[str, Any]
    fragments: dict[str, Fragment]


class Engine(Protocol):
    """Where a lake model's aggregates run. An engine exposes the model's predictions
    and labels as the views `lake_predictions` and `lake_labels` and runs named
    queries over them with bound parameters, answering in Arrow."""

    name: str

    def run(self, aggregate: Aggregate) -> pa.Table:
        """The rows of one aggregate."""
        ...

    def close(self) -> None:
        """Release what the engine holds (a session it started)."""
        ...


def _slice_parts(model: Model) -> tuple[Fragment, Fragment]:
    # Each slice column as the store keeps it: text, or DOUBLE for a numeric feature.
    types = slice_types(model)
    select = "".join(
        f"CAST(p.{ident(c)} AS {'DOUBLE' if t == 'DOUBLE' else 'VARCHAR'}) AS {ident(c)}, "
        for c, t in types.items()
    )
    columns = "".join(f"{ident(c)}, " for c in types)
    return raw(select), raw(columns)


def rollup_aggregate(model: Model, lo: datetime, hi: datetime) -> Aggregate:
    """The daily rollup rows of the predictions in [lo, hi)."""
    select, columns = _slice_parts(model)
    return Aggregate(
        "lake_rollup",
        {"regression": model.task == "regression", "lo": lo, "hi": hi},
        {"slice_select": select, "slice_columns": columns},
    )


def delays_aggregate(model: Model, lo: datetime, hi: datetime) -> Aggregate:
    """The daily label-delay histogram rows of the predictions in [lo, hi)."""
    select, columns = _slice_parts(model)
    names = [ident(c) for c in model.slices]
    sets = ", ".join(
        ["(day, horizon, bucket, hour)", *(f"(day, {c}, horizon, bucket, hour)" for c in names)]
    )
    # ident() admits plain names only, so each is safe as a quoted literal too.
    which = "".join(f"WHEN grouping({ident(c)}) = 0 THEN '{c}' " for c in model.slices)
    return Aggregate(
        "lake_delays",
        {"lo": lo, "hi": hi, "steps": DELAY_STEPS, "zero_bucket": ZERO_BUCKET},
        {
            "slice_select": select,
            "slice_columns": columns,
            "grouped_by": raw(f"CASE {which}END" if names else "CAST(NULL AS VARCHAR)"),
            "grouping_sets": raw(sets),
        },
    )


def aggregates(model: Model, lo: datetime, hi: datetime) -> dict[str, Aggregate]:
    """Every aggregate a lake model's store tables need, for predictions in [lo, hi)."""
    return {"rollups": rollup_aggregate(model, lo, hi), "delays": delays_aggregate(model, lo, hi)}


# What each aggregate is, in the words an error uses.
WHAT = {"lake_rollup": "the daily rollups", "lake_delays": "the label-delay histograms"}
# The contract an engine's failure most likely broke (a column of another type).
CONTRACT = (
    "predictions with prediction_id, prediction and ts a timestamp (score a number, "
    "model_version text, if present); labels with prediction_id, label and labeled_at "
    "a timestamp"
)


def read_failed(where: str, kind: str, location: str) -> LakeError:
    """The error of an engine that could not read one side of a source: in our words
    only (the engine's own text, Java's or DuckDB's, never reaches the user)."""
    return LakeError(
        f"{where}: could not read the {kind} at {location} as Parquet with the columns "
        f"{', '.join(REQUIRED[kind])} (no such path or table, a damaged file, or files "
        "whose columns conflict?)"
    )


def job_failed(where: str, engine: str, name: str, locations: dict[str, str]) -> LakeError:
    """The error of an aggregate the engine could not compute: which, over what, and
    what we expected; nothing is written."""
    read = " and ".join(f"the {k} at {v}" for k, v in locations.items())
    return LakeError(
        f"{where}: could not compute {WHAT.get(name, name)} on {engine} from {read}; "
        f"expected {CONTRACT}. Nothing was written."
    )


def missing_columns(kind: str, columns: list[str], where: str) -> None:
    """A LakeError naming the contract's columns a relation lacks."""
    lacking = [c for c in REQUIRED[kind] if c not in columns]
    if lacking:
        raise LakeError(
            f"{where}: the {kind} lack the column(s) {', '.join(lacking)} "
            f"(found: {', '.join(columns) or 'none'})"
        )
