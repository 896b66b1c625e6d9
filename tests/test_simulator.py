"""The scenario simulator: deterministic, at the promised scale, incidents really happen."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import polars as pl
import pytest

from tui.sandbox.scenario import EXPECTED_KIND, IncidentSpec, ScenarioSpec, load_scenario
from tui.sandbox.simulator import World, simulate

END = datetime(2026, 11, 26, 4)


@pytest.fixture(scope="module")
def spec() -> ScenarioSpec:
    return load_scenario("demo")


@pytest.fixture(scope="module")
def world(spec: ScenarioSpec) -> World:
    return simulate(spec, end=END)


def test_same_seed_same_world_other_seed_other_world(spec: ScenarioSpec) -> None:
    small_a = simulate(spec, scale=0.05, end=END)
    small_b = simulate(spec, scale=0.05, end=END)
    other = simulate(spec, scale=0.05, seed=99, end=END)
    for name in spec.models:
        assert small_a.predictions[name].equals(small_b.predictions[name])
        assert small_a.labels[name].equals(small_b.labels[name])
        assert not small_a.predictions[name].equals(other.predictions[name])


def test_demo_world_has_the_promised_shape(spec: ScenarioSpec, world: World) -> None:
    tasks = {m.task for m in spec.models.values()}
    assert {"binary", "multiclass", "regression"} <= tasks
    assert spec.days >= 14
    assert sum(df.height for df in world.predictions.values()) >= 500_000
    assert any(len(m.slices) >= 2 for m in spec.models.values())
    assert any(m.role == "trainee" for m in spec.team)
    assert len({i.type for i in spec.incidents}) >= 8
    for name, labels in world.labels.items():
        # Labels are late: some predictions are still unlabelled at the end.
        assert 0.5 < labels.height / world.predictions[name].height < 1.0
        latest = labels["labeled_at"].max()
        assert isinstance(latest, datetime)
        assert latest <= END


def test_scale_multiplies_traffic(spec: ScenarioSpec) -> None:
    small = simulate(spec, scale=0.1, end=END)
    large = simulate(spec, scale=0.3, end=END)
    ratio = large.predictions["fraud"].height / small.predictions["fraud"].height
    assert 2.7 < ratio < 3.3


def _mean(series: pl.Series) -> float:
    value = series.cast(pl.Float64).mean()
    assert isinstance(value, float)
    return value


def _window(world: World, inc: IncidentSpec) -> pl.DataFrame:
    frame = world.predictions[inc.model]
    inside = (pl.col("ts") >= world.at(inc.start)) & (pl.col("ts") < world.at(inc.end))
    for col, value in (inc.slice or {}).items():
        inside &= pl.col(col) == value
    return frame.filter(inside)


def _before(world: World, inc: IncidentSpec) -> pl.DataFrame:
    frame = world.predictions[inc.model]
    return frame.filter(pl.col("ts") < world.at(inc.start))


@pytest.mark.parametrize("incident_type", sorted(EXPECTED_KIND))
def test_each_incident_type_changes_the_data(
    spec: ScenarioSpec, world: World, incident_type: str
) -> None:
    incidents = [i for i in spec.incidents if i.type == incident_type]
    assert incidents, f"the demo plants no {incident_type}"
    inc = incidents[0]
    inside, before = _window(world, inc), _before(world, inc)
    if inc.type == "null_burst":
        assert inc.feature
        usual = spec.models[inc.model].features[inc.feature].nulls  # the feature's own
        assert inside[inc.feature].null_count() / inside.height > usual + 0.45
        assert before[inc.feature].null_count() / before.height < usual + 0.01
    elif inc.type == "vanished_categories":
        assert inc.feature
        assert set(inside[inc.feature].unique()).isdisjoint(inc.values)
        assert set(inc.values) <= set(before[inc.feature].unique())
    elif inc.type == "corrupted_default":
        assert inc.feature
        assert _mean(inside[inc.feature] == inc.value) > 0.4
        assert (before[inc.feature] == inc.value).sum() == 0
    elif inc.type == "upstream_stall":
        assert inside.height == 0
    elif inc.type == "gradual_drift":
        assert inc.feature
        after = world.predictions[inc.model].filter(pl.col("ts") >= world.at(inc.end))
        assert _mean(after[inc.feature]) > _mean(before[inc.feature]) + 0.2
    elif inc.type == "score_drift":
        ios_before = before.filter(pl.col("device") == "ios")
        assert _mean(inside["score"]) > _mean(ios_before["score"]) + 0.1
        if inc.version:
            assert set(inside["model_version"].unique()) == {inc.version}
    elif inc.type == "flipped_labels":
        joined = inside.join(world.labels[inc.model], on="prediction_id")
        clean = before.join(world.labels[inc.model], on="prediction_id")
        wrong_inside = _mean(joined["prediction"] != joined["label"])
        wrong_before = _mean(clean["prediction"] != clean["label"])
        assert wrong_inside > wrong_before + 0.3
    elif inc.type == "label_delay_spike":
        delay = (
            inside.join(world.labels[inc.model], on="prediction_id")
            .select((pl.col("labeled_at") - pl.col("ts")).dt.total_hours().median())
            .item()
        )
        normal = (
            before.join(world.labels[inc.model], on="prediction_id")
            .select((pl.col("labeled_at") - pl.col("ts")).dt.total_hours().median())
            .item()
        )
        assert delay > 4 * normal
    elif inc.type == "volume_drop":
        hours = (inc.end - inc.start).total_seconds() / 3600
        same_hours_day_before = world.predictions[inc.model].filter(
            (pl.col("ts") >= world.at(inc.start) - timedelta(days=1))
            & (pl.col("ts") < world.at(inc.end) - timedelta(days=1))
        )
        assert hours > 0
        assert inside.height < 0.5 * same_hours_day_before.height


def test_incidents_are_recorded_with_absolute_times(world: World) -> None:
    rows = world.incidents()
    assert len(rows) == len(world.spec.incidents)
    for row in rows:
        assert world.start <= row["start_ts"] < row["end_ts"] <= world.end
        if row["slice"]:
            assert isinstance(json.loads(row["slice"]), dict)


def test_binary_scores_are_calibrated_outside_incidents(world: World) -> None:
    frame = world.predictions["fraud"].join(world.labels["fraud"], on="prediction_id")
    early = frame.filter(pl.col("ts") < world.at(world.spec.incidents[1].start))
    by_bin = (
        early.with_columns(
            (pl.col("score") * 10).floor().alias("bin"), (pl.col("label") == "1").alias("y")
        )
        .group_by("bin")
        .agg(pl.col("score").mean().alias("s"), pl.col("y").mean().alias("y"), pl.len())
        .filter(pl.col("len") > 500)
    )
    assert by_bin.height >= 5
    gap = (by_bin["s"] - by_bin["y"]).abs().max()
    assert isinstance(gap, float)
    assert gap < 0.05
