"""Direct loss estimation (DLE) of a regression model: each row's error predicted by
the loss model, summed per window and slice value. It reads rows, not groups: the
trees need every row's features."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from tui.core.slices.request import Request
from tui.core.store.connection import fetch
from tui.core.store.filters import filter_sql, require_stored
from tui.core.store.sqlparts import (
    ident,
    predictions_table,
    raw,
    slice_value,
)

if TYPE_CHECKING:
    pass


from tui.core.slices.estimate_sums import WindowSums, query_params
from tui.core.slices.fitting import Fitted


def regression_groups(
    con: Any,
    req: Request,
    fitted: Fitted,
    every: timedelta | None,
    by: str | None,
    origin: datetime | None,
) -> dict[tuple[datetime, str | None], WindowSums]:
    import polars as pl  # the frame library, only when rows are read

    loss = fitted.loss
    assert loss is not None
    columns = list(dict.fromkeys([*loss.columns, *([by] if by else [])]))
    require_stored(con, req.model_name, [*columns, *(f.column for f in req.filters)], field="by")
    filters, values = filter_sql(req.filters, req.model)
    frame = fetch(
        con,
        "estimates_regression",
        query_params(req, every, values, origin),
        table=predictions_table(req.model_name),
        columns=raw("".join(f", p.{ident(c)}" for c in columns)),
        filters=filters,
    )
    out: dict[tuple[datetime, str | None], WindowSums] = defaultdict(WindowSums)
    if frame.height == 0:
        return out
    abs_hat, sq_hat = loss.predict(frame)
    err = (frame["prediction_value"] - frame["label_value"]).cast(float).to_numpy()
    lab = (
        frame["label_value"].is_not_null().to_numpy()
        & frame["prediction_value"].is_not_null().to_numpy()
    )
    parts = pl.DataFrame(
        {
            "w": frame["w"],
            "slice": frame[by].map_elements(slice_value, return_dtype=pl.String)
            if by
            else pl.Series([None] * frame.height, dtype=pl.String),
            "n": np.ones(frame.height),
            "lab": lab.astype(float),
            "abs": abs_hat,
            "sq": sq_hat,
            "abs_l": np.where(lab, abs_hat, 0.0),
            "sq_l": np.where(lab, sq_hat, 0.0),
            "r_abs": np.where(lab, np.abs(np.nan_to_num(err)), 0.0),
            "r_sq": np.where(lab, np.nan_to_num(err) ** 2, 0.0),
            "r_err": np.where(lab, np.nan_to_num(err), 0.0),
        }
    )
    sums = ["n", "lab", "abs", "sq", "abs_l", "sq_l", "r_abs", "r_sq", "r_err"]
    grouped = [
        parts.group_by("w").agg(pl.col(sums).sum()).with_columns(slice=pl.lit(None, pl.String))
    ]
    if by:
        grouped.append(parts.group_by("w", "slice").agg(pl.col(sums).sum()))
    for g in grouped:
        for r in g.iter_rows(named=True):
            s = out[(r["w"], r["slice"])]
            s.n, s.labeled = int(r["n"]), int(r["lab"])
            s.abs_sd, s.sq_sd = loss.abs_sd, loss.sq_sd
            for name in sums[2:]:
                s.cells[name] = float(r[name])
    return out
