"""Counts per window in a baseline's bins: numeric values and scores binned by the
baseline's edges, categories by value, for every window of a span in one query each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

import duckdb

from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import (
    Fragment,
    grouping_sets,
    ident,
    raw,
    slice_keys,
    which_slice,
)


def bin_expression(column: str, param_index: int, n_edges: int) -> str:
    """SQL giving a value's bin (0..n_edges) from the bound edge list ``$edges[i]``."""
    col = ident(column)
    if n_edges == 0:
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE 0 END"
    parts = [f"WHEN {col} < $edges[{param_index}][{k + 1}] THEN {k}" for k in range(n_edges)]
    return f"CASE WHEN {col} IS NULL THEN NULL {' '.join(parts)} ELSE {n_edges} END"


K = TypeVar("K", int, str)


def merge_windows(counts: dict[tuple[datetime, str], dict[K, int]]) -> dict[str, dict[K, int]]:
    """Sum per-window counts over windows.

    One bucket as wide as the baseline need not start where the baseline starts
    (time_bucket counts from its own origin), so the baseline may span two buckets.
    """
    out: dict[str, dict[K, int]] = {}
    for (_w, name), per_key in counts.items():
        target = out.setdefault(name, {})
        for key, n in per_key.items():
            target[key] = target.get(key, 0) + n
    return out


def bin_counts(
    con: duckdb.DuckDBPyConnection,
    table: Fragment,
    columns: list[str],
    edges: dict[str, list[float]],
    start: datetime,
    end: datetime,
    step: timedelta,
) -> dict[tuple[datetime, str], dict[int, int]]:
    """Rows per (window, column) and bin, with the given inner edges."""
    if not columns:
        return {}
    bins = raw(
        ", ".join(
            f"{bin_expression(c, i + 1, len(edges[c]))} AS {ident(c)}"
            for i, c in enumerate(columns)
        )
    )
    rows = fetch_rows(
        con,
        "checks_bin_counts",
        {
            "start": start,
            "end": end,
            "step": int(step.total_seconds()),
            "edges": [edges[c] for c in columns],
        },
        table=table,
        bins=bins,
        bin_columns=raw(", ".join(ident(c) for c in columns)),
    )
    out: dict[tuple[datetime, str], dict[int, int]] = {}
    for r in rows:
        out.setdefault((r["w"], str(r["feature"])), {})[int(r["bin"])] = int(r["n"])
    return out


def score_bin_counts(
    con: duckdb.DuckDBPyConnection,
    table: Fragment,
    slice_columns: list[str],
    edges: list[float],
    start: datetime,
    end: datetime,
    step: timedelta,
) -> dict[tuple[datetime, str | None, str | None], dict[int, int]]:
    """Score rows per (window, slice column, value) and bin; (w, None, None) is overall."""
    rows = fetch_rows(
        con,
        "checks_score_bins",
        {"start": start, "end": end, "step": int(step.total_seconds()), "edges": [edges]},
        table=table,
        score_bin=raw(bin_expression("score", 1, len(edges))),
        slice_keys=slice_keys(slice_columns),
        grouping_sets=grouping_sets(["w", "bin"], slice_columns),
    )
    out: dict[tuple[datetime, str | None, str | None], dict[int, int]] = {}
    for r in rows:
        where = which_slice(r, slice_columns)
        key = (r["w"], where[0], where[1]) if where else (r["w"], None, None)
        out.setdefault(key, {})[int(r["bin"])] = int(r["n"])
    return out


def category_counts(
    con: duckdb.DuckDBPyConnection,
    table: Fragment,
    columns: list[str],
    start: datetime,
    end: datetime,
    step: timedelta,
) -> dict[tuple[datetime, str], dict[str, int]]:
    """Rows per (window, categorical column) and value."""
    if not columns:
        return {}
    rows = fetch_rows(
        con,
        "checks_category_counts",
        {"start": start, "end": end, "step": int(step.total_seconds())},
        table=table,
        columns=raw(", ".join(ident(c) for c in columns)),
    )
    out: dict[tuple[datetime, str], dict[str, int]] = {}
    for r in rows:
        out.setdefault((r["w"], str(r["feature"])), {})[str(r["value"])] = int(r["n"])
    return out
