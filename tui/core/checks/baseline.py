"""Baseline histograms for drift: bin edges from baseline quantiles, computed once.

Numeric features (and the score) get inner edges at baseline quantiles; categorical
features get the baseline's value frequencies. Both are cached in `baseline_bins`,
keyed by the baseline's window, so every drift check reuses them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import duckdb

from tui.core.config.settings import Model
from tui.core.store.connection import execute, fetch_rows
from tui.core.store.sqlparts import (
    Fragment,
    grouping_sets,
    ident,
    predictions_table,
    raw,
    slice_keys,
    which_slice,
)


@dataclass(frozen=True)
class Histogram:
    """A baseline distribution: numeric (edges) or categorical (categories)."""

    feature: str
    edges: tuple[float, ...] | None
    categories: tuple[str, ...] | None
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def share(self, category: str) -> float:
        """A category's share of the baseline (0 when unseen)."""
        if not self.categories or not self.total:
            return 0.0
        try:
            return self.counts[self.categories.index(category)] / self.total
        except ValueError:
            return 0.0


def baseline_window(model: Model, first_ts: datetime) -> tuple[datetime, datetime]:
    """The baseline as [start, end): the configured dates (end inclusive) or the first week."""
    if model.baseline and model.baseline.start and model.baseline.end:
        start = datetime.combine(model.baseline.start, datetime.min.time())
        end = datetime.combine(model.baseline.end, datetime.min.time()) + timedelta(days=1)
        return start, end
    start = first_ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=7)


def bin_expression(column: str, param_index: int, n_edges: int) -> str:
    """SQL giving a value's bin (0..n_edges) from the bound edge list ``$edges[i]``."""
    col = ident(column)
    if n_edges == 0:
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE 0 END"
    parts = [f"WHEN {col} < $edges[{param_index}][{k + 1}] THEN {k}" for k in range(n_edges)]
    return f"CASE WHEN {col} IS NULL THEN NULL {' '.join(parts)} ELSE {n_edges} END"


def _key(start: datetime, end: datetime, bins: int) -> str:
    return f"{start:%Y-%m-%dT%H}/{end:%Y-%m-%dT%H}/{bins}"


def load_baseline(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    window: tuple[datetime, datetime],
    bins: int,
    slice_columns: list[str],
    now: datetime,
) -> dict[str, Histogram]:
    """Baseline histograms for every feature, the score overall and the score per slice
    value (keys ``score`` and ``score|col=value``); computed and cached on first use."""
    key = _key(*window, bins)
    cached = {
        str(r["feature"]): Histogram(
            str(r["feature"]),
            tuple(r["edges"]) if r["edges"] is not None else None,
            tuple(r["categories"]) if r["categories"] is not None else None,
            tuple(int(c) for c in r["counts"]),
        )
        for r in fetch_rows(con, "baseline_get", {"model": model_name, "baseline_key": key})
    }
    if cached:
        return cached
    computed = _compute(con, model_name, model, window, bins, slice_columns)
    for hist in computed.values():
        execute(
            con,
            "baseline_put",
            {
                "model": model_name,
                "feature": hist.feature,
                "baseline_key": key,
                "edges": list(hist.edges) if hist.edges is not None else None,
                "categories": list(hist.categories) if hist.categories is not None else None,
                "counts": list(hist.counts),
                "computed_at": now,
            },
        )
    return computed


def _compute(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    model: Model,
    window: tuple[datetime, datetime],
    bins: int,
    slice_columns: list[str],
) -> dict[str, Histogram]:
    table = predictions_table(model_name)
    numeric = [f for f, spec in model.features.items() if spec.type == "numeric"]
    numeric_cols = [*numeric, "score"] if model.task == "binary" else numeric
    categorical = [f for f, spec in model.features.items() if spec.type == "categorical"]
    start, end = window
    out: dict[str, Histogram] = {}
    probabilities = [k / bins for k in range(1, bins)]
    edges: dict[str, list[float]] = {}
    if numeric_cols:
        quantiles = raw(
            ", ".join(
                f"quantile_cont({ident(c)}, $probabilities) AS {ident(c)}" for c in numeric_cols
            )
        )
        row = fetch_rows(
            con,
            "checks_quantiles",
            {"start": start, "end": end, "probabilities": probabilities},
            table=table,
            quantiles=quantiles,
        )[0]
        for col in numeric_cols:
            values = row[col] or []
            # Ties (integers, clipped values) repeat quantiles; a bin per distinct edge.
            edges[col] = sorted({float(v) for v in values})
        counts = _merge(bin_counts(con, table, numeric_cols, edges, start, end, end - start))
        for col in numeric_cols:
            per_bin = counts.get(col, {})
            out[col] = Histogram(
                col,
                tuple(edges[col]),
                None,
                tuple(per_bin.get(b, 0) for b in range(len(edges[col]) + 1)),
            )
        if model.task == "binary" and slice_columns:
            per_slice = _merge(
                {
                    (w, f"score|{col}={value}"): bins
                    for (w, col, value), bins in score_bin_counts(
                        con, table, slice_columns, edges["score"], start, end, end - start
                    ).items()
                    if col is not None
                }
            )
            for name, per_bin in per_slice.items():
                out[name] = Histogram(
                    name,
                    tuple(edges["score"]),
                    None,
                    tuple(per_bin.get(b, 0) for b in range(len(edges["score"]) + 1)),
                )
    if categorical:
        cats = _merge(category_counts(con, table, categorical, start, end, end - start))
        for col in categorical:
            values = cats.get(col, {})
            ordered = sorted(values)
            out[col] = Histogram(col, None, tuple(ordered), tuple(values[v] for v in ordered))
    return out


K = TypeVar("K", int, str)


def _merge(counts: dict[tuple[datetime, str], dict[K, int]]) -> dict[str, dict[K, int]]:
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


def drift_view(
    con: duckdb.DuckDBPyConnection, settings: Any, alert: dict[str, Any]
) -> dict[str, Any] | None:
    """For a drift or score-drift alert: the baseline's and the alert's last window's
    distributions over the same bins (shares), for a side-by-side picture. None when the
    baseline was never computed (no drift check ran)."""
    if alert["kind"] not in ("drift", "score_drift"):
        return None
    model_name = str(alert["model"])
    model = settings.model(model_name)
    drift = model.checks.drift
    table = predictions_table(model_name)
    first = fetch_rows(con, "checks_time_range", table=table)[0]["first_ts"]
    if first is None:
        return None
    window = baseline_window(model, first)
    key = _key(*window, drift.bins)
    cached = {
        str(r["feature"]): r
        for r in fetch_rows(con, "baseline_get", {"model": model_name, "baseline_key": key})
    }
    slice_ = alert["slice"] or {}
    if alert["kind"] == "drift":
        name = str(alert["feature"])
    else:
        name = "score" + "".join(f"|{c}={v}" for c, v in slice_.items())
    base = cached.get(name)
    if base is None:
        return None
    end: datetime = alert["last_seen"]
    start = end - drift.window
    counts: dict[Any, int]
    if base["edges"] is not None:
        edges = [float(e) for e in base["edges"]]
        if alert["kind"] == "drift":
            counts = _merge(
                bin_counts(con, table, [name], {name: edges}, start, end, end - start)
            ).get(name, {})
        else:
            columns = list(slice_)
            found = score_bin_counts(con, table, columns, edges, start, end, end - start)
            wanted = next(iter(slice_.items())) if slice_ else (None, None)
            counts = {}
            for (_w, col, value), per_bin in found.items():
                if (col, value) == wanted:
                    for b, n in per_bin.items():
                        counts[b] = counts.get(b, 0) + n
        labels = (
            [f"<{edges[0]:.3g}"]
            + [f"{a:.3g}–{b:.3g}" for a, b in itertools.pairwise(edges)]
            + [f"≥{edges[-1]:.3g}"]
            if edges
            else ["all"]
        )
        current = [counts.get(b, 0) for b in range(len(labels))]
    else:
        categories = list(base["categories"])
        counts = _merge(category_counts(con, table, [name], start, end, end - start)).get(name, {})
        labels = [*categories, "(new)"]
        current = [counts.get(c, 0) for c in categories]
        current.append(sum(v for k, v in counts.items() if k not in categories))
    baseline = [int(c) for c in base["counts"]] + ([0] if base["edges"] is None else [])
    total_b, total_c = sum(baseline) or 1, sum(current) or 1
    return {
        "labels": labels,
        "baseline": [c / total_b for c in baseline],
        "current": [c / total_c for c in current],
        "window": [start, end],
        "baseline_window": list(window),
    }
