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
    pos = str(req.model.positive)
    pp = (frame["prediction"].cast(str) == pos).to_numpy()
    label = frame["label"].cast(str).to_list()
    lab = np.asarray([x is not None for x in label])
    ypos = np.asarray([x == pos for x in label])
    bins = frame["bin"].to_numpy()
    windows = frame["w"].to_list()
    slices = slice_of(frame, by)
    e_pos, e_neg = n * p, n * (1 - p)
    v = n * p * (1 - p)
    reliability_rows: dict[int, list[float]] = defaultdict(lambda: [0.0] * 4)
    for i in range(frame.height):
        s = out[(windows[i], slices[i])]
        ni = int(n[i])
        s.n += ni
        if pp[i]:
            s.cells["tp"] += e_pos[i]
            s.cells["fp"] += e_neg[i]
            s.cells["v_pp"] += v[i]
        else:
            s.cells["fn"] += e_pos[i]
            s.cells["tn"] += e_neg[i]
            s.cells["v_pn"] += v[i]
        auc = s.auc_bins[int(bins[i])]
        auc[0] += e_pos[i]
        auc[1] += e_neg[i]
        if lab[i]:
            s.labeled += ni
            suffix = ("tp" if ypos[i] else "fp") if pp[i] else ("fn" if ypos[i] else "tn")
            s.cells["r_" + suffix] += ni
            if pp[i]:
                s.cells["tp_l"] += e_pos[i]
                s.cells["fp_l"] += e_neg[i]
            else:
                s.cells["fn_l"] += e_pos[i]
                s.cells["tn_l"] += e_neg[i]
            auc[2 if ypos[i] else 3] += ni
            auc[4] += e_pos[i]
            auc[5] += e_neg[i]
            if slices[i] is None:
                r = reliability_rows[int(bins[i]) * RELIABILITY_BINS // SCORE_BINS]
                r[0] += ni
                r[1] += ni * mean[i]
                r[2] += e_pos[i]
                r[3] += ni * ypos[i]
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
