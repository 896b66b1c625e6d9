"""The scenario simulator: a spec and a seed in, prediction and label files out.

Everything is drawn with numpy from a generator seeded by (seed, model name), so the
same spec, seed, scale and end time always give the same rows. The model sees the
*observed* features (after incidents corrupt them); the truth is drawn from the
*clean* ones, so a corrupted input really hurts the model's quality, as it would.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tui.sandbox.scenario import IncidentSpec, ModelSpec, ScenarioSpec

_NS_PER_S = 1_000_000_000


@dataclass
class World:
    """A simulated world: rows per model plus the incidents and shifts, in absolute time."""

    spec: ScenarioSpec
    start: datetime
    end: datetime
    predictions: dict[str, pl.DataFrame] = field(default_factory=dict)
    labels: dict[str, pl.DataFrame] = field(default_factory=dict)

    def at(self, offset: timedelta) -> datetime:
        return self.start + offset

    def incidents(self) -> list[dict[str, Any]]:
        """The planted incidents with absolute times (the ground truth)."""
        return [
            {
                "incident_id": inc.id,
                "model": inc.model,
                "type": inc.type,
                "feature": inc.feature,
                "slice": json.dumps(inc.slice, sort_keys=True) if inc.slice else None,
                "start_ts": self.at(inc.start),
                "end_ts": self.at(inc.end),
                "root_cause": inc.root_cause,
                "title": inc.title,
            }
            for inc in self.spec.incidents
        ]


def _rng(seed: int, model: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(model.encode())])


def _epoch_seconds(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def _traffic(
    spec: ModelSpec,
    incidents: list[IncidentSpec],
    start: datetime,
    days: int,
    scale: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Row timestamps (epoch seconds), sorted, following daily and weekly rhythm."""
    hours = np.arange(days * 24)
    starts = _epoch_seconds(start) + hours * 3600.0
    moments = [start + timedelta(hours=int(h)) for h in hours]
    weekly = np.array([spec.weekly[m.weekday()] for m in moments])
    hour_of_day = np.array([m.hour for m in moments])
    rhythm = 1 + spec.daily_amplitude * np.cos(2 * np.pi * (hour_of_day - 15) / 24)
    rate = spec.rows_per_day / 24 * scale * weekly * rhythm
    for inc in incidents:
        if inc.type in ("upstream_stall", "volume_drop"):
            lo = _epoch_seconds(start + inc.start)
            hi = _epoch_seconds(start + inc.end)
            inside = (starts >= lo) & (starts < hi)
            kept = 0.0 if inc.type == "upstream_stall" else max(0.0, 1 - inc.strength)
            rate = np.where(inside, rate * kept, rate)
    counts = rng.poisson(rate)
    ts = np.repeat(starts, counts) + rng.uniform(0, 3600, counts.sum())
    return np.sort(np.floor(ts))


def _choice(
    values: list[str], weights: list[float] | None, n: int, rng: np.random.Generator
) -> np.ndarray:
    p = None
    if weights:
        w = np.asarray(weights, dtype=float)
        p = w / w.sum()
    drawn: np.ndarray = rng.choice(np.asarray(values, dtype=object), size=n, p=p)
    return drawn


def _numeric(f: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    if f.dist == "lognormal":
        x = rng.lognormal(f.mean, f.sd, n)
    elif f.dist == "exponential":
        x = rng.exponential(f.mean, n)
    elif f.dist == "uniform":
        x = rng.uniform(f.low, f.high, n)
    else:
        x = rng.normal(f.mean, f.sd, n)
    if f.min is not None:
        x = np.maximum(x, f.min)
    if f.max is not None:
        x = np.minimum(x, f.max)
    out: np.ndarray = np.round(x, f.round) if f.round is not None else x
    return out


def _mask(
    inc: IncidentSpec, ts: np.ndarray, slices: dict[str, np.ndarray], start: datetime
) -> np.ndarray:
    lo = _epoch_seconds(start + inc.start)
    hi = _epoch_seconds(start + inc.end)
    mask = (ts >= lo) & (ts < hi)
    for col, value in (inc.slice or {}).items():
        mask &= slices[col] == value
    return mask


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def simulate_model(
    spec: ScenarioSpec, name: str, *, seed: int, scale: float, start: datetime, end: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Draw one model's predictions and the labels known by ``end``."""
    model = spec.models[name]
    incidents = [i for i in spec.incidents if i.model == name]
    rng = _rng(seed, name)
    ts = _traffic(model, incidents, start, spec.days, scale, rng)
    n = len(ts)
    slices = {c: _choice(s.values, s.weights, n, rng) for c, s in model.slices.items()}

    clean: dict[str, np.ndarray] = {}
    for fname, f in model.features.items():
        if fname in slices:
            # A column both slice and feature: one value, the slice's, seen by the model.
            clean[fname] = slices[fname].copy()
            continue
        clean[fname] = (
            _numeric(f, n, rng) if f.type == "numeric" else _choice(f.values, f.weights, n, rng)
        )
    observed = {k: v.copy() for k, v in clean.items()}
    nulls = {k: rng.random(n) < f.nulls for k, f in model.features.items()}

    # Incidents that change what the model sees.
    for inc in incidents:
        mask = _mask(inc, ts, slices, start)
        if inc.type == "null_burst" and inc.feature:
            nulls[inc.feature] |= mask & (rng.random(n) < inc.strength)
        elif inc.type == "corrupted_default" and inc.feature:
            hit = mask & (rng.random(n) < inc.strength)
            value = float(inc.value if inc.value is not None else 0.0)
            observed[inc.feature] = np.where(hit, value, observed[inc.feature])
        elif inc.type == "vanished_categories" and inc.feature:
            f = model.features[inc.feature]
            keep = [v for v in f.values if v not in inc.values]
            kept_w = [
                w
                for v, w in zip(f.values, f.weights or [1.0] * len(f.values), strict=True)
                if v not in inc.values
            ]
            gone = mask & np.isin(observed[inc.feature], np.asarray(inc.values, dtype=object))
            observed[inc.feature] = np.where(
                gone, _choice(keep, kept_w, n, rng), observed[inc.feature]
            )
        elif inc.type == "gradual_drift" and inc.feature:
            f = model.features[inc.feature]
            lo = _epoch_seconds(start + inc.start)
            hi = _epoch_seconds(start + inc.end)
            ramp = np.clip((ts - lo) / (hi - lo), 0, 1)
            spread = f.sd if f.dist == "normal" else float(np.std(clean[inc.feature]))
            observed[inc.feature] = observed[inc.feature] + ramp * inc.strength * spread
            clean[inc.feature] = observed[inc.feature]  # a real shift in the world

    def signal(values: dict[str, np.ndarray], hide_nulls: bool) -> np.ndarray:
        total = np.full(n, model.intercept)
        for fname, f in model.features.items():
            x = values[fname]
            if f.type == "numeric" and f.weight:
                ref = clean[fname]
                mu, sd = float(np.mean(ref)), float(np.std(ref)) or 1.0
                z = np.clip((x.astype(float) - mu) / sd, -5, 5)
                if hide_nulls:
                    z = np.where(nulls[fname], 0.0, z)  # imputed at the mean
                total += f.weight * z
            for value, effect in f.effect.items():
                hit = x == value
                if hide_nulls:
                    hit &= ~nulls[fname]
                total += effect * hit
        for col, s in model.slices.items():
            for value, effect in s.effect.items():
                total += effect * (slices[col] == value)
        return total

    truth = signal(clean, hide_nulls=False)
    seen = signal(observed, hide_nulls=True)
    versions = np.full(n, model.versions[0].name, dtype=object)
    for version in model.versions[1:]:
        versions = np.where(ts >= _epoch_seconds(start + version.start), version.name, versions)

    columns: dict[str, Any] = {}
    score: np.ndarray | None = None
    if model.task == "binary":
        positive = str(model.positive)
        negative = next((c for c in model.classes if c != positive), "0")
        y = rng.random(n) < _sigmoid(truth)
        logit = seen * model.calibration
        for inc in incidents:
            if inc.type == "score_drift":
                mask = _mask(inc, ts, slices, start)
                logit = np.where(mask, logit + inc.strength, logit)
                if inc.version:
                    versions = np.where(mask, inc.version, versions)
        score = np.round(_sigmoid(logit), 6)
        predicted = np.where(score >= model.threshold, positive, negative)
        label = np.where(y, positive, negative).astype(object)
        classes = [negative, positive]
    elif model.task == "multiclass":
        k = len(model.classes)
        weights = rng.normal(0, 1.0, (k,))
        base = np.outer(truth, weights) + rng.gumbel(0, 1, (n, k))
        predicted_logits = np.outer(seen, weights) + rng.normal(0, model.noise, (n, k))
        cls = np.asarray(model.classes, dtype=object)
        label = cls[np.argmax(base, axis=1)]
        predicted = cls[
            np.argmax(predicted_logits + (base - np.outer(truth, weights)) * 0.6, axis=1)
        ]
        classes = list(model.classes)
    else:
        actual = truth + rng.normal(0, model.noise, n)
        estimate = seen + rng.normal(0, model.noise * 0.25, n)
        # Kept as numbers until the columns are built: turned into text there at once.
        label = np.round(actual, 3)
        predicted = np.round(estimate, 3)
        classes = []

    # Labels: flipped in a slice, delayed, some never.
    if classes:
        for inc in incidents:
            if inc.type == "flipped_labels":
                mask = _mask(inc, ts, slices, start) & (rng.random(n) < inc.strength)
                if model.task == "binary":
                    label = np.where(
                        mask, np.where(label == classes[1], classes[0], classes[1]), label
                    )
                else:
                    idx = {c: i for i, c in enumerate(classes)}
                    shifted = np.asarray(
                        [classes[(idx[v] + 1) % len(classes)] for v in label], dtype=object
                    )
                    label = np.where(mask, shifted, label)
    delay_h = rng.lognormal(np.log(model.labels.median_delay_hours), model.labels.sigma, n)
    for inc in incidents:
        if inc.type == "label_delay_spike":
            mask = _mask(inc, ts, slices, start)
            delay_h = np.where(mask, delay_h * inc.strength, delay_h)
    labeled_at = ts + np.floor(delay_h * 3600)
    has_label = (rng.random(n) >= model.labels.never) & (labeled_at <= _epoch_seconds(end))

    ids = pl.select(
        pl.format(f"{name[:3]}-{{}}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(8))
    ).to_series()
    columns["prediction_id"] = ids
    columns["ts"] = (ts * _NS_PER_S).astype("datetime64[ns]")
    columns["prediction"] = _text(predicted)
    if score is not None:
        columns["score"] = score
    columns["model_version"] = _text(versions)
    for col, values in slices.items():
        columns[col] = _text(values)
    predictions = pl.DataFrame(columns)
    for fname, f in model.features.items():
        values = observed[fname]
        if f.type == "numeric":
            series = pl.Series(fname, values.astype(float))
        else:
            series = _text(values).alias(fname)
        predictions = predictions.with_columns(
            pl.when(pl.Series(nulls[fname])).then(None).otherwise(series).alias(fname)
        )
    labels = pl.DataFrame(
        {
            "prediction_id": ids.filter(pl.Series(has_label)),
            "label": _text(label[has_label]),
            "labeled_at": (labeled_at[has_label] * _NS_PER_S).astype("datetime64[ns]"),
        }
    ).sort("labeled_at", "prediction_id")
    return predictions, labels


def _text(values: np.ndarray) -> pl.Series:
    """A column of text: numbers as their shortest decimal, strings as they are. Numpy's
    own conversion to fixed-width text and polars' reading of it cost seconds at the
    demo's size; Python strings and polars' cast cost milliseconds."""
    if values.dtype.kind in "fiu":
        return pl.Series(values).cast(pl.String)
    return pl.Series(values.tolist(), dtype=pl.String)


def simulate(
    spec: ScenarioSpec, *, seed: int | None = None, scale: float = 1.0, end: datetime
) -> World:
    """Simulate every model of ``spec`` for the ``spec.days`` days that end at ``end``."""
    end = end.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=spec.days)
    world = World(spec=spec, start=start, end=end)
    for name in spec.models:
        preds, labels = simulate_model(
            spec,
            name,
            seed=spec.seed if seed is None else seed,
            scale=scale,
            start=start,
            end=end,
        )
        world.predictions[name] = preds
        world.labels[name] = labels
    return world


def write_world(world: World, folder: Path) -> dict[str, dict[str, list[Path]]]:
    """Write one Parquet file of predictions per model and day, and one CSV of labels per
    model and day of arrival, as a production pipeline would hand them over."""
    written: dict[str, dict[str, list[Path]]] = {}
    for name, preds in world.predictions.items():
        out: dict[str, list[Path]] = {"predictions": [], "labels": []}
        pdir = folder / "predictions" / name
        ldir = folder / "labels" / name
        pdir.mkdir(parents=True, exist_ok=True)
        ldir.mkdir(parents=True, exist_ok=True)
        days = preds.with_columns(pl.col("ts").dt.date().alias("_day")).partition_by(
            "_day", as_dict=True, maintain_order=True
        )
        for key, part in days.items():
            path = pdir / f"{key[0]}.parquet"
            part.drop("_day").write_parquet(path)
            out["predictions"].append(path)
        labels = world.labels[name]
        if labels.height:
            ldays = labels.with_columns(pl.col("labeled_at").dt.date().alias("_day")).partition_by(
                "_day", as_dict=True, maintain_order=True
            )
            for key, part in ldays.items():
                path = ldir / f"{key[0]}.csv"
                part.drop("_day").write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%SZ")
                out["labels"].append(path)
        written[name] = out
    return written
