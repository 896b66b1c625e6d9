"""Estimated performance where labels have not arrived, and whether to trust it.

For a binary classifier with scores, each prediction adds its score to the expected
true positives (if predicted positive) or false negatives (if predicted negative),
and one minus its score to the other cell. That estimate is only as good as the
scores' calibration, so it is always shown beside what the labels say where they
have arrived, on the same rows, with a reliability table of score bins.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import duckdb

from tui.core.config.times import floor_time
from tui.core.slices.outcomes import Counts, estimate_of, metrics_of, outcome_counts, reliability
from tui.core.slices.request import Request

# The estimate is trusted when, on labelled rows, it lands within this of the real F1
# in every group with enough labels, and no well-filled score bin is further than
# MAX_BIN_GAP from its observed positive rate.
MAX_F1_GAP = 0.05
MAX_BIN_GAP = 0.1
MIN_LABELED_FOR_CHECK = 200
MIN_BIN_ROWS = 100


def _row(req: Request, group: str, c: Counts) -> dict[str, Any]:
    realised = metrics_of(req.model, c)
    return {
        "group": group,
        "n": c.n,
        "n_labeled": c.labeled,
        "coverage": c.labeled / c.n if c.n else None,
        "estimated": estimate_of(req.model, c),
        "realised": {k: realised.value(k) for k in ("accuracy", "precision", "recall", "f1")},
        "estimated_on_labeled": estimate_of(req.model, c, labeled_only=True),
    }


def estimate_report(
    con: duckdb.DuckDBPyConnection, req: Request, by: str | None = None
) -> dict[str, Any]:
    """Estimated and realised metrics per day (or per value of `by`), a reliability table
    and a verdict on whether the estimate can be trusted. Always an estimate."""
    rows: list[dict[str, Any]] = []
    if by:
        counts, _ = outcome_counts(con, req, [[by]])
        for key, c in sorted(counts.items()):
            rows.append(_row(req, f"{by}={key[0][1]}", c))
    else:
        day = floor_time(req.since, timedelta(days=1))
        while day < req.until:
            part = replace(
                req, since=max(day, req.since), until=min(day + timedelta(days=1), req.until)
            )
            counts, _ = outcome_counts(con, part, [[]])
            if () in counts and counts[()].n:
                rows.append(_row(req, f"{day:%Y-%m-%d}", counts[()]))
            day += timedelta(days=1)
    overall, _ = outcome_counts(con, req, [[]])
    table = reliability(req.model, overall.get((), Counts()))
    gaps = [
        abs(r["estimated_on_labeled"]["f1"] - r["realised"]["f1"])
        for r in rows
        if r["n_labeled"] >= MIN_LABELED_FOR_CHECK
        and r["estimated_on_labeled"]["f1"] is not None
        and r["realised"]["f1"] is not None
    ]
    bin_gaps = [abs(b["mean_score"] - b["positive_rate"]) for b in table if b["n"] >= MIN_BIN_ROWS]
    max_f1_gap = max(gaps, default=None)
    max_bin_gap = max(bin_gaps, default=None)
    trustworthy = (
        max_f1_gap is not None
        and max_f1_gap <= MAX_F1_GAP
        and (max_bin_gap is None or max_bin_gap <= MAX_BIN_GAP)
    )
    return {
        "model": req.model_name,
        "kind": "estimate",
        "rows": rows,
        "reliability": table,
        "calibration": {
            "max_f1_gap": max_f1_gap,
            "max_bin_gap": max_bin_gap,
            "groups_checked": len(gaps),
            "trustworthy": trustworthy,
            "rule": f"F1 estimated on labelled rows within {MAX_F1_GAP} of realised in every "
            f"group with {MIN_LABELED_FOR_CHECK}+ labels, and score bins with "
            f"{MIN_BIN_ROWS}+ rows within {MAX_BIN_GAP} of their positive rate",
        },
    }
