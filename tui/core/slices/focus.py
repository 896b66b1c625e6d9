"""The rows that make an alert fail: which of a window's rows are the evidence (the
nulls of a feature, its out-of-range or unexpected values, the rows in the bins that
shifted, the wrong predictions, the rows still without a label) and how to rank them.

A `Focus` is built by code from the model's configuration and the alert, never from
user text: only column names checked against the model and conditions from a fixed
list reach the SQL; every value (bounds, categories, bin edges, the positive class) is
a bound parameter (`$focus_num`, `$focus_text`, `$focus_known`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from tui.core.slices.request import Request
from tui.core.store.connection import fetch_rows
from tui.core.store.filters import filter_sql, require_stored
from tui.core.store.sqlparts import Fragment, ident, predictions_table, raw

# What each kind of focus picks, in words ({column} is filled in).
KINDS = {
    "null": "rows where {column} is null",
    "out_of_range": "rows where {column} is out of range",
    "unexpected": "rows where {column} has a value not allowed",
    "bins": "rows in the bins of {column} that grew",
    "wrong": "wrong predictions, most confident first",
    "unlabelled": "rows without a label yet",
    "all": "all rows",
}


@dataclass(frozen=True)
class Focus:
    """Which rows are the evidence, and in what order they come.

    ``kind`` is one of `KINDS`; ``column`` the feature (or `score`) it reads;
    ``numbers`` the bounds (min, max) or the shifted bins' edges (low, high pairs);
    ``texts`` the allowed values, the shifted categories, or the positive class a wrong
    prediction is judged on (precision: predicted it, recall: labelled it);
    ``known`` the baseline's categories (a shifted "(new)" bin is any value not among
    them); ``side`` "prediction" or "label" for a wrong prediction on the positive
    class."""

    kind: str
    column: str | None = None
    numbers: tuple[float, ...] = ()
    texts: tuple[str, ...] = ()
    known: tuple[str, ...] | None = None
    side: str | None = None

    @property
    def what(self) -> str:
        """The rows it picks, in words."""
        text = KINDS[self.kind].format(column=self.column)
        if self.kind == "wrong" and self.side == "prediction" and self.texts:
            return f"predicted {self.texts[0]} wrongly (false positives), most confident first"
        if self.kind == "wrong" and self.side == "label" and self.texts:
            return f"{self.texts[0]} missed (false negatives), most confident first"
        return text

    @property
    def wrong(self) -> bool:
        """Whether only labelled rows the model got wrong are the evidence."""
        return self.kind == "wrong"

    def to_json(self) -> dict[str, Any]:
        """The focus as `oncall examples --alert ID --json` prints it."""
        return {
            "kind": self.kind,
            "what": self.what,
            "column": self.column,
            "numbers": [_finite(x) for x in self.numbers],
            "texts": list(self.texts),
            "known": list(self.known) if self.known is not None else None,
            "side": self.side,
        }


def _finite(x: float) -> float | None:
    """An edge for JSON: an open end (±inf) as null."""
    return None if math.isinf(x) else x


def focus_condition(focus: Focus | None) -> Fragment:
    """The SQL condition true for the focus's rows (`p.` the predictions, `l.` the
    labels); its values come from the bound lists."""
    if focus is None or focus.kind == "all" or (focus.kind == "wrong" and focus.side is None):
        return raw("true")
    col = f"p.{ident(focus.column)}" if focus.column else ""
    text = f"CAST({col} AS VARCHAR)"
    if focus.kind == "null":
        return raw(f"{col} IS NULL")
    if focus.kind == "out_of_range":
        return raw(f"({col} < $focus_num[1] OR {col} > $focus_num[2])")
    if focus.kind == "unexpected":
        return raw(f"({col} IS NOT NULL AND NOT list_contains($focus_text, {text}))")
    if focus.kind == "bins":
        if focus.known is not None:
            parts = [f"list_contains($focus_text, {text})"]
            if "(new)" in focus.texts:
                parts.append(f"({col} IS NOT NULL AND NOT list_contains($focus_known, {text}))")
            return raw("(" + " OR ".join(parts) + ")")
        ranges = [
            f"({col} >= $focus_num[{2 * k + 1}] AND {col} < $focus_num[{2 * k + 2}])"
            for k in range(len(focus.numbers) // 2)
        ]
        return raw("(" + (" OR ".join(ranges) or "false") + ")")
    if focus.kind == "unlabelled":
        return raw("l.prediction_id IS NULL")
    if focus.kind == "wrong":
        side = "p.prediction" if focus.side == "prediction" else "l.label"
        return raw(f"CAST({side} AS VARCHAR) = $focus_text[1]")
    raise ValueError(f"unknown focus {focus.kind!r}")


def focus_rank(focus: Focus | None, task: str) -> Fragment | None:
    """How the focus's rows are ranked (higher first), or None for time order: a wrong
    prediction the model was surest of first (binary: score furthest from 0.5;
    multiclass: the top class's score; regression: the largest error)."""
    if focus is None or focus.kind != "wrong":
        return None
    if task == "regression":
        return raw("coalesce(abs(p.prediction_value - l.label_value), -1)")
    if task == "binary":
        return raw("coalesce(abs(p.score - 0.5), -1)")
    return raw("coalesce(p.score, -1)")


def focus_params(focus: Focus | None) -> dict[str, Any]:
    """The bound lists the focus's condition reads (empty without a focus)."""
    if focus is None:
        return {"focus_num": [], "focus_text": [], "focus_known": []}
    return {
        "focus_num": list(focus.numbers),
        "focus_text": list(focus.texts),
        "focus_known": list(focus.known or ()),
    }


@dataclass(frozen=True)
class FocusSlice:
    """One slice's share of the focus's rows over the window: how bad it is on the
    alert's own terms (null rate, out-of-range rate, share in the shifted bins...)."""

    slice: dict[str, Any]
    n: int
    offending: int
    last_ts: datetime | None

    @property
    def rate(self) -> float | None:
        """The share of the slice's rows that are the evidence."""
        return self.offending / self.n if self.n else None

    def to_json(self) -> dict[str, Any]:
        """The slice as scripts see it."""
        return {
            "slice": self.slice,
            "n": self.n,
            "offending": self.offending,
            "rate": self.rate,
            "last_ts": self.last_ts,
        }


def focus_slices(
    con: duckdb.DuckDBPyConnection, req: Request, by: list[str], focus: Focus
) -> list[FocusSlice]:
    """Per slice of `by` over the request's window: rows, how many are the focus's and
    the latest row's time; the highest share first (ties: more rows, then the slice)."""
    require_stored(con, req.model_name, [*by, *(f.column for f in req.filters)], field="by")
    filters, values = filter_sql(req.filters, req.model)
    groups = ", ".join(f"p.{ident(c)}" for c in by)
    rows = fetch_rows(
        con,
        "focus_slices",
        {
            "model": req.model_name,
            "since": req.since,
            "until": req.until,
            "now": req.now,
            "values": values,
            **focus_params(focus),
        },
        table=predictions_table(req.model_name),
        groups=raw(groups + "," if groups else ""),
        group_by=raw(f"GROUP BY {groups}" if groups else ""),
        filters=filters,
        focus=focus_condition(focus),
    )
    out = [
        FocusSlice({c: r[c] for c in by}, int(r["n"]), int(r["offending"] or 0), r["last_ts"])
        for r in rows
        if int(r["n"])
    ]
    out.sort(key=lambda s: (-(s.rate or 0.0), -s.n, [str(v) for v in s.slice.values()]))
    return out
