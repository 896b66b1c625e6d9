"""The drift picture of an alert: the baseline's and the last window's distribution
over the same bins, side by side."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import duckdb

from tui.core.checks.baseline import baseline_source, cached_rows, from_cache
from tui.core.checks.counts import bin_counts, category_counts, merge_windows, score_bin_counts
from tui.core.config.times import trailing_start
from tui.core.errors import OncallError
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import predictions_table


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
    try:
        # The baseline the alert's last window was judged against.
        source = baseline_source(
            con,
            settings,
            model_name,
            model,
            first,
            trailing_start(alert["last_seen"], model.checks.window),
        )
    except OncallError:
        return None  # the reference file is gone or unreadable: no picture, no failure
    if source.problem is not None:
        return None
    rows = cached_rows(con, model_name, f"{source.key}/{drift.bins}")
    if not rows and source.kind == "last":
        # Alerts opened since (this one, perhaps) changed the spans left out: the
        # rolling baseline of that window as it was last computed.
        prefix = source.key.rsplit("/", 1)[0] + "/"
        rows = fetch_rows(
            con,
            "baseline_get_latest",
            {"model": model_name, "prefix": prefix, "suffix": f"/{drift.bins}"},
        )
    cached = {str(r["feature"]): r for r in rows}
    window = from_cache(source, rows).window or source.window
    slice_ = alert["slice"] or {}
    if alert["kind"] == "drift":
        name = str(alert["feature"])
    else:
        name = "score" + "".join(f"|{c}={v}" for c, v in slice_.items())
    base = cached.get(name)
    if base is None:
        return None
    end: datetime = alert["last_seen"]
    start = trailing_start(end, drift.window)
    counts: dict[Any, int]
    if base["edges"] is not None:
        edges = [float(e) for e in base["edges"]]
        if alert["kind"] == "drift":
            counts = merge_windows(
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
        counts = merge_windows(category_counts(con, table, [name], start, end, end - start)).get(
            name, {}
        )
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
        # What the bins are, so the rows in one can be found: inner edges, or the
        # baseline's categories (the last bin, "(new)", is any other value).
        "edges": [float(e) for e in base["edges"]] if base["edges"] is not None else None,
        "categories": [str(c) for c in base["categories"]] if base["edges"] is None else None,
    }
