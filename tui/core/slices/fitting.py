"""What an estimate applies, fitted on labelled reference rows: calibration maps of a
classifier's scores (per model version) or the loss model of a regression model.

Direct loss estimation (regression): two gradient-boosted trees fitted on the
labelled reference rows predict each row's absolute and squared error from its
features and prediction; their means over a window are the estimated MAE and MSE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tui.core.config.settings import Model, class_score_column
from tui.core.slices.calibration import IDENTITY, CalibrationMap, Method, fit_calibration

if TYPE_CHECKING:
    import polars as pl

Floats = npt.NDArray[np.float64]


# A version's own calibration map needs this many labelled rows; others use the pooled one.
MIN_FIT_ROWS = 100
# A fit reads at most this many reference rows of each version, sampled repeatably:
# fitting millions took seconds, and a calibration map's error from sampling this many
# is far below the estimate's own band (tests/test_estimates.py bounds it).
MAX_FIT_ROWS = 250_000


def bounded(frame: pl.DataFrame) -> pl.DataFrame:
    """At most MAX_FIT_ROWS rows of each model version (a seeded sample), so a small
    version keeps every row it has; the frame itself when it is small enough."""
    import polars as pl

    if frame.height <= MAX_FIT_ROWS:
        return frame
    parts = [
        part if part.height <= MAX_FIT_ROWS else part.sample(n=MAX_FIT_ROWS, seed=0)
        for part in frame.partition_by("model_version", maintain_order=True)
    ]
    return pl.concat(parts)


@dataclass
class Reference:
    """Labelled rows to fit on: a polars frame with model_version, score, prediction,
    prediction_value, label, label_value, the features and any score_<class> columns;
    and where they came from (said to the user)."""

    source: str
    frame: pl.DataFrame | None
    problem: str | None = None

    @property
    def rows(self) -> int:
        return 0 if self.frame is None else self.frame.height


@dataclass
class LossModel:
    """Direct loss estimation: trees predicting a row's |error| and error² from its
    features and prediction, and the spread of the reference errors (for the bands)."""

    columns: list[str]
    categories: dict[str, list[str]]
    abs_model: Any
    sq_model: Any
    abs_sd: float
    sq_sd: float
    rows: int

    def design(self, frame: pl.DataFrame) -> Floats:
        """The model's inputs for ``frame``: prediction, numeric features as they are,
        categorical ones as their position among the reference's values (unknown or
        missing: NaN, which the trees treat as missing)."""
        cols: list[Floats] = [frame["prediction_value"].cast(float).fill_null(np.nan).to_numpy()]
        for name in self.columns:
            if name in self.categories:
                index = {v: float(i) for i, v in enumerate(self.categories[name])}
                values = frame[name].cast(str).to_list()
                cols.append(np.asarray([index.get(v, np.nan) for v in values], dtype=float))
            else:
                cols.append(frame[name].cast(float).fill_null(np.nan).to_numpy())
        return np.column_stack(cols) if cols else np.zeros((frame.height, 0))

    def predict(self, frame: pl.DataFrame) -> tuple[Floats, Floats]:
        """Each row's predicted |error| and error² (never below zero)."""
        from threadpoolctl import threadpool_limits  # with scikit-learn, only here

        x = self.design(frame)
        if not len(x):
            return np.zeros(0), np.zeros(0)
        with threadpool_limits(1, user_api="openmp"):
            return (
                np.maximum(self.abs_model.predict(x), 0.0),
                np.maximum(self.sq_model.predict(x), 0.0),
            )


@dataclass
class Fitted:
    """What an estimate applies: calibration maps per model version (None: pooled) for
    a binary model, per (version, class position) for a multiclass one, or the loss
    model of a regression one; and how it was fitted."""

    method: Method
    source: str
    rows: int
    maps: dict[str | None, CalibrationMap] = field(default_factory=dict)
    class_maps: dict[tuple[str | None, int], CalibrationMap] = field(default_factory=dict)
    loss: LossModel | None = None
    problem: str | None = None

    def calibration(self, version: str | None) -> CalibrationMap:
        """The map for a version: its own when it had enough rows, else the pooled one."""
        return self.maps.get(version) or self.maps.get(None) or IDENTITY

    def class_calibration(self, version: str | None, k: int) -> CalibrationMap:
        return self.class_maps.get((version, k)) or self.class_maps.get((None, k)) or IDENTITY

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method if self.rows else "none",
            "fitted_on": self.source,
            "rows": self.rows,
            "versions": sorted(v for v in {*self.maps, *(v for v, _ in self.class_maps)} if v),
            "problem": self.problem,
        }


def fit(model: Model, reference: Reference) -> Fitted:
    """Calibration maps (classifiers) or the loss model (regression) from the labelled
    reference rows; with none, an uncalibrated estimate (binary, multiclass) or no
    estimate (regression), and the reason in ``problem``."""
    method: Method = model.estimates.calibration
    frame = reference.frame
    out = Fitted(method, reference.source, reference.rows, problem=reference.problem)
    if frame is None or frame.height == 0:
        out.rows = 0
        out.problem = out.problem or f"no labelled rows in {reference.source}"
        if model.task == "regression":
            out.problem += "; a regression estimate needs them"
        else:
            out.problem += "; estimated from raw scores"
        return out
    frame = bounded(frame)
    versions = frame["model_version"].cast(str).to_numpy()
    if model.task == "binary":
        scores = frame["score"].cast(float).fill_null(np.nan).to_numpy()
        positive = (frame["label"].cast(str) == str(model.positive)).to_numpy()
        out.maps[None] = fit_calibration(scores, positive, method)
        for v in np.unique(versions):
            mine = versions == v
            if mine.sum() >= MIN_FIT_ROWS:
                out.maps[str(v)] = fit_calibration(scores[mine], positive[mine], method)
    elif model.task == "multiclass":
        classes = [str(c) for c in model.classes or []]
        labels = frame["label"].cast(str).to_numpy()
        for k, cls in enumerate(classes):
            if class_score_column(cls) not in frame.columns:
                continue
            s = frame[class_score_column(cls)].cast(float).fill_null(np.nan).to_numpy()
            out.class_maps[(None, k)] = fit_calibration(s, labels == cls, method)
            for v in np.unique(versions):
                mine = versions == v
                if mine.sum() >= MIN_FIT_ROWS:
                    out.class_maps[(str(v), k)] = fit_calibration(
                        s[mine], labels[mine] == cls, method
                    )
    else:
        out.loss = fit_loss(model, frame)
    return out


def fit_loss(model: Model, frame: pl.DataFrame) -> LossModel:
    """Direct loss estimation's two models, fitted on labelled reference rows."""
    # scikit-learn takes a second to import: only a regression estimate pays for it.
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    keep = frame.filter(
        frame["prediction_value"].is_not_null() & frame["label_value"].is_not_null()
    )
    columns = [f for f in model.features if f in keep.columns]
    categories = {
        f: sorted({str(v) for v in keep[f].drop_nulls().to_list()})
        for f in columns
        if model.features[f].type == "categorical"
    }
    shell = LossModel(columns, categories, None, None, 0.0, 0.0, keep.height)
    x = shell.design(keep)
    err = (
        keep["prediction_value"].cast(float).to_numpy() - keep["label_value"].cast(float).to_numpy()
    )
    mask = [False] + [c in categories for c in columns]
    fitted = []
    for target in (np.abs(err), err**2):
        tree = HistGradientBoostingRegressor(
            categorical_features=np.asarray(mask) if any(mask) else None, random_state=0
        )
        with threadpool_limits(1, user_api="openmp"):
            tree.fit(x, target)
        fitted.append(tree)
    shell.abs_model, shell.sq_model = fitted
    shell.abs_sd = float(np.std(np.abs(err))) if len(err) else 0.0
    shell.sq_sd = float(np.std(err**2)) if len(err) else 0.0
    return shell
