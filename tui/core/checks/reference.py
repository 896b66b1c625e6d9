"""A reference file: the labelled dataset a model's baseline may be (``baseline.file``),
in the predictions contract. Found relative to the config, hashed, staged through a
private snapshot (never read in place), and its own metrics and labelled rows read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tui.core.config.settings import METRICS_BY_TASK, Model, Settings
from tui.core.errors import InputError
from tui.core.ingest.files import detect_format, inspect_file
from tui.core.ingest.load import stage_reference
from tui.core.ingest.snapshot import FileUnreadable, hash_file, private_folder, take_snapshot
from tui.core.slices.outcomes import Counts, add_error_sums, auc_from_histogram, task_metrics
from tui.core.store.connection import execute, fetch_rows


def reference_path(settings: Settings, model: Model) -> Path | None:
    """A file baseline's path, relative to the config file; None for other kinds."""
    if model.baseline is None or model.baseline.file is None:
        return None
    path = Path(model.baseline.file).expanduser()
    return path if path.is_absolute() else settings.path.parent / path


def hash_reference(model_name: str, path: Path) -> str:
    """The SHA-256 of a reference file, or an error that names the model's baseline."""
    try:
        detect_format(path, None)
        return hash_file(path)
    except (InputError, FileUnreadable) as exc:
        raise type(exc)(f"baseline file of model {model_name!r}: {exc.message}") from None


def staged_reference(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    path: Path,
    now: datetime,
) -> tuple[str, int]:
    """Stage the reference file in the temporary ``stage`` table (through a private
    snapshot) and return the snapshot's SHA-256 and the number of rows."""
    try:
        fmt = detect_format(path, None)
        snapshot = take_snapshot(path, private_folder(settings.store_path.parent), f".{fmt}")
        try:
            shape = inspect_file(con, path, fmt, read_path=snapshot.copy)
            rows = stage_reference(con, model_name, model, shape, now)
            # A feature the reference lacks would have an empty baseline, and its drift
            # would never be judged without anyone being told. (Slices may be missing:
            # their score histograms are then not compared.)
            missing = [f for f in model.features if f not in shape.columns]
            if missing:
                raise InputError(
                    f"{path}: no column {missing[0]!r}, a declared feature of the model"
                    + (f" ({len(missing) - 1} more are missing)" if len(missing) > 1 else "")
                )
        finally:
            snapshot.discard()
    except (InputError, FileUnreadable) as exc:
        raise type(exc)(f"baseline file of model {model_name!r}: {exc.message}") from None
    return snapshot.sha256, rows


def reference_metrics(con: duckdb.DuckDBPyConnection, model: Model, rows: int) -> dict[str, float]:
    """The staged reference's own metrics of the model's task (the metric functions the
    online checks use, so the offline gap compares like with like; AUC exactly)."""
    counts = Counts(n=rows)
    for r in fetch_rows(con, "baseline_reference_outcomes"):
        n = int(r["n"])
        counts.labeled += n
        counts.pairs[(str(r["prediction"]), str(r["label"]))] += n
        add_error_sums(counts, r)
    values, _ = task_metrics(model, counts)
    if model.task == "binary":
        points = fetch_rows(con, "baseline_reference_auc", {"positive": str(model.positive)})
        values["auc"] = auc_from_histogram(
            [int(p["pos"]) for p in points], [int(p["neg"]) for p in points]
        )
    wanted = METRICS_BY_TASK[model.task]
    return {name: float(v) for name, v in values.items() if name in wanted and v is not None}


@dataclass(frozen=True)
class ReferenceOutcomes:
    """The labelled rows of a reference file: score (None without one), predicted class
    or value, and label, in prediction_id order."""

    prediction_ids: tuple[str, ...]
    scores: tuple[float | None, ...]
    predictions: tuple[str, ...]
    labels: tuple[str, ...]


def reference_outcomes(
    con: duckdb.DuckDBPyConnection, settings: Settings, model_name: str, now: datetime
) -> ReferenceOutcomes | None:
    """The model's labelled reference rows (for calibration and the like), read from its
    baseline file; None when the baseline is not a file. Raises as ingest does for a
    file that is missing, unreadable or malformed."""
    model = settings.model(model_name)
    path = reference_path(settings, model)
    if path is None:
        return None
    staged_reference(con, settings, model_name, model, path, now)
    try:
        rows = fetch_rows(con, "baseline_reference_rows")
    finally:
        execute(con, "stage_drop")
    return ReferenceOutcomes(
        tuple(str(r["prediction_id"]) for r in rows),
        tuple(None if r["score"] is None else float(r["score"]) for r in rows),
        tuple(str(r["prediction"]) for r in rows),
        tuple(str(r["label"]) for r in rows),
    )
