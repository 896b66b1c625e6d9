"""Confidence-based performance estimation (CBPE) of classifiers from one grouped query.

Each row's score, mapped through the calibration map of its model version, is the
probability that its label is the positive class (for multiclass, that class); summed
over a window's rows it gives the expected confusion matrix. The query groups rows by
window, slice value, version, prediction, label and fine score bin; a bin's mean score
goes through the map (at this width the rounding is far below any window's sampling
error).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from tui.core.config.settings import class_score_column
from tui.core.slices.request import Request
from tui.core.store.connection import fetch
from tui.core.store.filters import filter_sql, require_stored
from tui.core.store.sqlparts import (
    grouping_sets,
    ident,
    predictions_table,
    raw,
    slice_keys,
)

if TYPE_CHECKING:
    pass


from tui.core.slices.estimate_sums import WindowSums, query_params, slice_of
from tui.core.slices.fitting import Fitted

SCORE_BINS = 200
CLASS_SCORE_BINS = 100
RELIABILITY_BINS = 20


def binary_groups(
    con: Any,
    req: Request,
    fitted: Fitted,
    every: timedelta | None,
    by: str | None,
    origin: datetime | None,
) -> tuple[dict[tuple[datetime, str | None], WindowSums], list[dict[str, Any]]]:
    columns = [by] if by else []
    require_stored(con, req.model_name, [*columns, *(f.column for f in req.filters)], field="by")
    filters, values = filter_sql(req.filters, req.model)
    frame = fetch(
        con,
        "estimates_binary",
        {**query_params(req, every, values, origin), "bins": SCORE_BINS},
        table=predictions_table(req.model_name),
        slice_keys=slice_keys(columns),
        grouping_sets=grouping_sets(
            ["w", "p.model_version", "p.prediction", "l.label", "bin"], columns
        ),
        filters=filters,
    )
    out: dict[tuple[datetime, str | None], WindowSums] = defaultdict(WindowSums)
    if frame.height == 0:
        return out, []
    n = frame["n"].cast(float).to_numpy()
    mean = frame["sum_score"].cast(float).to_numpy() / np.maximum(n, 1)
    p = np.empty_like(mean)
    versions = frame["model_version"].cast(str).to_numpy()
    for v in np.unique(versions):
        mine = versions == v
        p[mine] = fitted.calibration(str(v))(mean[mine])
    import polars as pl  # the frame library, already loaded by fetch()

    pos = str(req.model.positive)
    pp = (frame["prediction"].cast(str) == pos).to_numpy()
    lab = frame["label"].is_not_null().to_numpy()
    ypos = (frame["label"].cast(str) == pos).fill_null(False).to_numpy()
    e_pos, e_neg, var = n * p, n * (1 - p), n * p * (1 - p)
    # Every cell a window needs, one column each, summed per (window, slice) and per
    # (window, slice, bin) by polars: the grouped rows are many (days × bins).
    parts = pl.DataFrame(
        {
            "w": frame["w"],
            "slice": pl.Series(slice_of(frame, by), dtype=pl.String),
            "bin": frame["bin"],
            "n": n,
            "labeled": np.where(lab, n, 0.0),
            "tp": np.where(pp, e_pos, 0.0),
            "fp": np.where(pp, e_neg, 0.0),
            "fn": np.where(pp, 0.0, e_pos),
            "tn": np.where(pp, 0.0, e_neg),
            "v_pp": np.where(pp, var, 0.0),
            "v_pn": np.where(pp, 0.0, var),
            "tp_l": np.where(pp & lab, e_pos, 0.0),
            "fp_l": np.where(pp & lab, e_neg, 0.0),
            "fn_l": np.where(~pp & lab, e_pos, 0.0),
            "tn_l": np.where(~pp & lab, e_neg, 0.0),
            "r_tp": np.where(pp & lab & ypos, n, 0.0),
            "r_fp": np.where(pp & lab & ~ypos, n, 0.0),
            "r_fn": np.where(~pp & lab & ypos, n, 0.0),
            "r_tn": np.where(~pp & lab & ~ypos, n, 0.0),
            "a_pos": e_pos,
            "a_neg": e_neg,
            "r_pos": np.where(lab & ypos, n, 0.0),
            "r_neg": np.where(lab & ~ypos, n, 0.0),
            "l_pos": np.where(lab, e_pos, 0.0),
            "l_neg": np.where(lab, e_neg, 0.0),
            "score": np.where(lab, n * mean, 0.0),
        }
    )
    cells = [c for c in parts.columns if c not in ("w", "slice", "bin", "n", "labeled")]
    for r in parts.group_by("w", "slice").agg(pl.exclude("bin").sum()).iter_rows(named=True):
        s = out[(r["w"], r["slice"])]
        s.n, s.labeled = int(r["n"]), int(r["labeled"])
        for c in cells:
            s.cells[c] = float(r[c])
    auc = ["a_pos", "a_neg", "r_pos", "r_neg", "l_pos", "l_neg"]
    for r in parts.group_by("w", "slice", "bin").agg(pl.col(auc).sum()).iter_rows(named=True):
        out[(r["w"], r["slice"])].auc_bins[int(r["bin"])] = [float(r[c]) for c in auc]
    reliability_rows: dict[int, list[float]] = {}
    whole = parts.filter(pl.col("slice").is_null() & (pl.col("labeled") > 0))
    per_bin = whole.group_by(pl.col("bin") * RELIABILITY_BINS // SCORE_BINS).agg(
        pl.col("labeled", "score", "l_pos", "r_pos").sum()
    )
    for r in per_bin.iter_rows(named=True):
        reliability_rows[int(r["bin"])] = [r["labeled"], r["score"], r["l_pos"], r["r_pos"]]
    table = []
    for k, (rows, score_sum, cal_sum, positives) in sorted(reliability_rows.items()):
        if not rows:
            continue
        table.append(
            {
                "bin": f"{k / RELIABILITY_BINS:.2f}-{(k + 1) / RELIABILITY_BINS:.2f}",
                "n": int(rows),
                "mean_score": score_sum / rows,
                "mean_calibrated": cal_sum / rows,
                "positive_rate": positives / rows,
            }
        )
    return out, table


def multiclass_groups(
    con: Any,
    req: Request,
    fitted: Fitted,
    every: timedelta | None,
    by: str | None,
    origin: datetime | None,
) -> dict[tuple[datetime, str | None], WindowSums]:
    classes = [str(c) for c in req.model.classes or []]
    columns = [by] if by else []
    require_stored(
        con,
        req.model_name,
        [*columns, *(f.column for f in req.filters), *(class_score_column(c) for c in classes)],
        field="by",
    )
    filters, values = filter_sql(req.filters, req.model)
    structs = ", ".join(
        f"{{'k': {k}, 's': p.{ident(class_score_column(c))}}}" for k, c in enumerate(classes)
    )
    sets = [
        *(
            f"(w, model_version, prediction, labelled, k, bin{extra})"
            for extra in ["", *(f", {ident(c)}" for c in columns)]
        ),
        *(f"(w, prediction, label{extra})" for extra in ["", *(f", {ident(c)}" for c in columns)]),
    ]
    frame = fetch(
        con,
        "estimates_multiclass",
        {**query_params(req, every, values, origin), "bins": CLASS_SCORE_BINS},
        table=predictions_table(req.model_name),
        slice_keys=slice_keys(columns),
        grouping_sets=raw(", ".join(sets)),
        filters=filters,
        class_scores=raw(f"[{structs}]"),
    )
    out: dict[tuple[datetime, str | None], WindowSums] = defaultdict(WindowSums)
    if frame.height == 0:
        return out
    index = {c: i for i, c in enumerate(classes)}
    n = frame["n"].cast(float).to_numpy()
    mean = frame["sum_score"].cast(float).fill_null(np.nan).to_numpy() / np.maximum(n, 1)
    ks = frame["k"].fill_null(-1).to_numpy()
    versions = frame["model_version"].cast(str).to_list()
    p = np.full_like(mean, np.nan)
    for i, (v, k) in enumerate(zip(versions, ks, strict=True)):
        if k >= 0 and not np.isnan(mean[i]):
            p[i] = fitted.class_calibration(v, int(k))(np.asarray([mean[i]]))[0]
    g_k = frame["k"].is_null().to_numpy()  # the (prediction, label) pairs set
    preds = frame["prediction"].cast(str).to_list()
    labels = frame["label"].cast(str).to_list()
    labelled = frame["labelled"].to_list()
    pairs = frame["pairs"].to_numpy()
    windows = frame["w"].to_list()
    slices = slice_of(frame, by)
    for i in range(frame.height):
        s = out[(windows[i], slices[i])]
        if g_k[i]:
            if labels[i] is not None:
                s.pairs[(preds[i], labels[i])] += int(pairs[i])
            continue
        j = index.get(preds[i])
        if j is None:
            continue
        if ks[i] == 0:
            s.n += int(n[i])
            s.pred_rows[j] += n[i]
            if labelled[i]:
                s.labeled += int(n[i])
                s.pred_rows_lab[j] += n[i]
        if np.isnan(p[i]):
            continue
        key = (j, int(ks[i]))
        s.expected[key] += n[i] * p[i]
        s.variance[key] += n[i] * p[i] * (1 - p[i])
        if labelled[i]:
            s.expected_lab[key] += n[i] * p[i]
    return out
