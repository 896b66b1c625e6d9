"""The DuckDB engine: a lake model's Parquet files read in this process, for a lake
small enough for one machine (and as the reference the Spark engine is tested against)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import duckdb

from tui.core.lake.aggregates import (
    LABELS_VIEW,
    OPTIONAL,
    PREDICTIONS_VIEW,
    REQUIRED,
    Aggregate,
    job_failed,
    missing_columns,
    read_failed,
)
from tui.core.store.queries import query

if TYPE_CHECKING:
    import pyarrow as pa

# An empty labels relation, for a lake whose labels have not arrived yet.
_NO_LABELS = (
    "SELECT NULL::VARCHAR AS prediction_id, NULL::VARCHAR AS label, "
    "NULL::TIMESTAMP AS labeled_at WHERE false"
)


def _place(files: list[str]) -> str:
    # One file by its path, several by the folder they share.
    if not files:
        return "(no files)"
    return files[0] if len(files) == 1 else os.path.commonpath(files)


class DuckDBEngine:
    """Runs the aggregates over Parquet files with an in-memory DuckDB."""

    name = "duckdb"

    def __init__(self, predictions: list[str], labels: list[str], where: str) -> None:
        self.where = where
        # Where each side was read from, for an error: the files' common folder.
        self.locations = {"predictions": _place(predictions), "labels": _place(labels)}
        self.con = duckdb.connect()
        # Timestamps are UTC (a tz-aware column is read as UTC, never as local time).
        self.con.execute("SET TimeZone = 'UTC'")
        for kind, files, view in (
            ("predictions", predictions, PREDICTIONS_VIEW),
            ("labels", labels, LABELS_VIEW),
        ):
            try:
                rel = (
                    self.con.read_parquet(files, hive_partitioning=True, union_by_name=True)
                    if files
                    else self.con.sql(_NO_LABELS)
                )
            except duckdb.Error:  # a damaged or unreadable file; DuckDB's text not shown
                raise read_failed(f"{where}.{kind}", kind, self.locations[kind]) from None
            missing_columns(kind, list(rel.columns), f"{where}.{kind}")
            # Optional contract columns the lake lacks read as NULL; constant text only.
            added = "".join(
                f", NULL::{t} AS {c}" for c, t in OPTIONAL[kind].items() if c not in rel.columns
            )
            # A tz-aware time is compared and truncated as UTC wall time, as the store keeps it.
            times = [c for c in ("ts", "labeled_at") if c in REQUIRED[kind]]
            rel = rel.project(
                "* REPLACE ("
                + ", ".join(f"CAST({c} AS TIMESTAMP) AS {c}" for c in times)
                + ")"
                + added
            )
            rel.create_view(view)

    def run(self, aggregate: Aggregate) -> pa.Table:
        """The rows of one aggregate, as an Arrow table."""
        q = query(aggregate.name)
        text = q.sql(**aggregate.fragments)
        used = q.used_params(text)
        bound = {k: v for k, v in aggregate.params.items() if k in used}
        try:
            table: pa.Table = self.con.sql(text, params=bound or None).to_arrow_table()
        except duckdb.Error:  # e.g. a column of another type; DuckDB's text not shown
            raise job_failed(self.where, self.name, aggregate.name, self.locations) from None
        return table

    def close(self) -> None:
        """Close the in-memory database."""
        self.con.close()
