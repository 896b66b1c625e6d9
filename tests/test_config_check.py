"""`oncall config check`: each kind of problem, its key path, exit codes and JSON shape;
and a misspelt column named on the command line gets the known ones, never a store
error."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.helpers import Result, cli, write_config

START = datetime(2026, 11, 1)
NOW = "2026-11-20T00:00"

BASE = """\
store: store.duckdb
models:
  churn:
    task: binary
    positive: "yes"
    slices: [segment]
    features:
      spend: {type: numeric, min: 0, max: 1000}
      plan: {type: categorical, allowed: [a, b]}
    labels: {expected_delay: 1d}
checks:
  min_rows: 5
trust_as: true
"""


def _frame(per_day: list[int], *, start_id: int = 0, plan: bool = True) -> pl.DataFrame:
    """`per_day[d]` churn predictions spread evenly over day d from START, then one row
    at the start of the next day (so every listed day is a whole window)."""
    ts: list[datetime] = []
    for day, n in enumerate(per_day):
        ts += [START + timedelta(days=day, seconds=i * 86400 // n) for i in range(n)]
    ts.append(START + timedelta(days=len(per_day)))
    ids = range(start_id, start_id + len(ts))
    data: dict[str, Any] = {
        "prediction_id": [f"p{i}" for i in ids],
        "ts": ts,
        "prediction": ["yes" if i % 3 == 0 else "no" for i in ids],
        "score": [((i * 37) % 100) / 100 for i in ids],
        "segment": [["smb", "ent", "mid"][i % 3] for i in ids],
        "spend": [float(i % 500) for i in ids],
    }
    if plan:
        data["plan"] = [["a", "b"][i % 2] for i in ids]
    return pl.DataFrame(data)


def _ingest(
    capsys: pytest.CaptureFixture[str],
    config: Path,
    frame: pl.DataFrame,
    kind: str = "predictions",
    model: str = "churn",
) -> None:
    path = config.parent / f"{kind}-{frame.height}.parquet"
    frame.write_parquet(path)
    result = cli(capsys, "--config", config, "--now", NOW, "ingest", kind, path, "-m", model)
    assert result.code == 0, result.err


def _check(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[Result, dict[str, Any]]:
    human = cli(capsys, "--config", config, "--now", NOW, "config", "check")
    data = cli(capsys, "--config", config, "--now", NOW, "config", "check", "--json")
    assert data.code == human.code
    report = data.json()
    # The contract: these keys, these types, ok exactly when there is no error.
    assert set(report) >= {"ok", "problems"}
    for p in report["problems"]:
        assert set(p) == {"model", "key", "severity", "message"}
        assert p["severity"] in ("error", "warning")
        assert isinstance(p["message"], str) and p["message"]
        # One human line per problem, naming the key path to change.
        assert any(p["key"] in line and p["message"] in line for line in human.out.splitlines())
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert report["ok"] is (not errors)
    assert data.code == (2 if errors else 0)
    assert len(human.out.splitlines()) == len(report["problems"])
    return human, report


def _one(report: dict[str, Any], key: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in report["problems"] if p["key"] == key]
    assert len(found) == 1, report["problems"]
    return found[0]


def test_a_config_that_fits_its_data_has_no_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, BASE)
    _ingest(capsys, config, _frame([1440] * 8))
    human, report = _check(capsys, config)
    assert human.code == 0
    assert report["problems"] == []
    assert report["store"] == str(tmp_path / "store.duckdb")
    assert "fits the data" in human.err


def test_without_a_store_only_the_config_is_checked_and_none_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = BASE.replace(
        "    labels:", "    baseline: {start: 2026-12-01, end: 2026-12-07}\n    labels:"
    )
    config = write_config(tmp_path, later)
    human, report = _check(capsys, config)
    assert "no store yet" in human.err
    assert report["store"] is None
    assert not (tmp_path / "store.duckdb").exists()
    problem = _one(report, "models.churn.baseline.start")
    assert problem["severity"] == "warning" and "after now" in problem["message"]
    assert human.code == 0


def test_a_missing_baseline_file_is_an_error_even_without_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace("    labels:", "    baseline: {file: reference.parquet}\n    labels:")
    config = write_config(tmp_path, text)
    human, report = _check(capsys, config)
    problem = _one(report, "models.churn.baseline.file")
    assert problem["severity"] == "error" and "reference.parquet" in problem["message"]
    assert human.code == 2 and report["ok"] is False


def test_columns_missing_retyped_or_never_delivered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, BASE)
    # The pipeline never writes `plan`.
    _ingest(capsys, config, _frame([1440] * 8, plan=False))
    # After the ingest: a new slice, and `spend` declared as text though stored as numbers.
    write_config(
        tmp_path,
        BASE.replace("slices: [segment]", "slices: [segment, tier]").replace(
            "spend: {type: numeric, min: 0, max: 1000}", "spend: {type: categorical}"
        ),
    )
    human, report = _check(capsys, config)
    never = _one(report, "models.churn.features.plan")
    assert never["severity"] == "warning"
    assert "declared but never delivered" in never["message"] and "'plan'" in never["message"]
    assert "11,521" in never["message"]  # every stored row is empty
    later = _one(report, "models.churn.slices")
    assert later["severity"] == "warning" and "'tier'" in later["message"]
    retyped = _one(report, "models.churn.features.spend.type")
    assert retyped["severity"] == "error" and "categorical" in retyped["message"]
    assert human.code == 2


@pytest.mark.parametrize(
    ("baseline", "severity", "needle"),
    [
        ("{start: 2026-10-01, end: 2026-10-07}", "error", "holds no stored predictions"),
        # Two days of 300: 600 rows, above min_support 500.
        ("{start: 2026-11-01, end: 2026-11-02}", None, ""),
        # One day of 300 rows against min_support 500.
        ("{start: 2026-11-01, end: 2026-11-01}", "warning", "holds 300 predictions"),
    ],
)
def test_the_baseline_window_must_hold_rows(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    baseline: str,
    severity: str | None,
    needle: str,
) -> None:
    text = BASE.replace("    labels:", f"    baseline: {baseline}\n    labels:")
    config = write_config(tmp_path, text)
    _ingest(capsys, config, _frame([300] * 8))
    _, report = _check(capsys, config)
    found = [p for p in report["problems"] if p["key"] == "models.churn.baseline"]
    if severity is None:
        assert not found
        return
    assert len(found) == 1
    assert found[0]["severity"] == severity and needle in found[0]["message"]


def _expected_median(per_day: list[int]) -> int:
    return round(statistics.median(per_day))


@pytest.mark.parametrize(
    ("per_day", "severity"),
    [
        # About 165 a day, never 500: drift is blind.
        ([165, 170, 160, 150, 180, 165, 158], "error"),
        # One busy day reaches 500, the typical day does not.
        ([100, 120, 2000, 110, 90, 105, 99], "warning"),
        ([600, 650, 700, 640, 620, 610, 630], None),
    ],
)
def test_drift_support_must_fit_the_traffic(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    per_day: list[int],
    severity: str | None,
) -> None:
    # A baseline with rows, so that only the drift windows are in question.
    text = BASE.replace("min_rows: 5", "min_rows: 1")
    config = write_config(tmp_path, text)
    _ingest(capsys, config, _frame(per_day))
    human, report = _check(capsys, config)
    found = [p for p in report["problems"] if p["key"] == "checks.drift.min_support"]
    if severity is None:
        assert not found
        return
    assert len(found) == 1, report["problems"]
    message = found[0]["message"]
    assert found[0]["severity"] == severity
    verdict = "will never be judged" if severity == "error" else "will mostly not be judged"
    assert message.startswith(f"drift on model churn {verdict}: ")
    assert f"about {_expected_median(per_day):,} rows per 1d window, min_support 500" in message
    assert "lower checks.drift.min_support or widen checks.drift.window" in message
    assert human.code == (2 if severity == "error" else 0)


def test_a_model_override_is_named_as_the_key_to_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace(
        "    labels: {expected_delay: 1d}",
        "    labels: {expected_delay: 1d}\n    checks: {drift: {min_support: 5000}}",
    )
    config = write_config(tmp_path, text)
    _ingest(capsys, config, _frame([1440] * 8))
    _, report = _check(capsys, config)
    problem = _one(report, "models.churn.checks.drift.min_support")
    assert "about 1,440 rows per 1d window, min_support 5,000" in problem["message"]
    # The window is not overridden: the global key is the one to widen.
    assert "widen checks.drift.window" in problem["message"]


def test_min_rows_per_slice_must_fit_the_traffic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1,440 a day is 60 an hour, 20 per segment an hour.
    config = write_config(tmp_path, BASE.replace("min_rows: 5", "min_rows: 30"))
    _ingest(capsys, config, _frame([1440] * 8))
    _, report = _check(capsys, config)
    problem = _one(report, "checks.min_rows")
    assert problem["severity"] == "warning"
    assert "data quality per segment" in problem["message"]
    assert "about 20 rows per value per 1h window, min_rows 30" in problem["message"]


SLOS = """\
    slos:
      - {metric: f1, min: 0.5, window: 1d, min_labeled: 200}
      - {metric: recall, min: 0.5, window: 1d, min_labeled: 50, by: segment}
"""


def test_slos_need_labelled_rows_overall_and_per_slice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, BASE.replace("checks:\n", SLOS + "checks:\n"))
    predictions = _frame([1440] * 8)
    _ingest(capsys, config, predictions)
    _, unlabelled = _check(capsys, config)
    by = _one(unlabelled, "models.churn.slos[1].by")
    assert by["severity"] == "error" and "no labelled rows in any segment" in by["message"]
    overall = _one(unlabelled, "models.churn.slos[0].min_labeled")
    assert overall["severity"] == "error"
    assert "about 0 labelled rows per 1d window, min_labeled 200" in overall["message"]
    # One in ten labelled: 144 a day overall, 48 per segment.
    labels = predictions.filter(pl.arange(0, predictions.height) % 10 == 0).select(
        "prediction_id", pl.col("prediction").alias("label")
    )
    _ingest(capsys, config, labels, kind="labels")
    human, labelled = _check(capsys, config)
    overall = _one(labelled, "models.churn.slos[0].min_labeled")
    assert "SLO f1 on model churn will never be judged" in overall["message"]
    assert "about 144 labelled rows per 1d window" in overall["message"]
    per_segment = _one(labelled, "models.churn.slos[1].min_labeled")
    assert "SLO recall by segment" in per_segment["message"]
    assert "about 48 labelled rows per segment per 1d window" in per_segment["message"]
    assert not [p for p in labelled["problems"] if p["key"] == "models.churn.slos[1].by"]
    assert human.code == 2


def test_models_without_predictions_and_undeclared_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = BASE.replace(
        "checks:\n",
        "  price:\n    task: regression\n    slices: [city]\n  old:\n    task: regression\n"
        "checks:\n",
    )
    config = write_config(tmp_path, two)
    _ingest(capsys, config, _frame([1440] * 8))
    old = pl.DataFrame(
        {"prediction_id": ["o1"], "ts": [START], "prediction": ["1.5"], "city": ["x"]}
    )
    _ingest(capsys, config, old, model="old")
    write_config(tmp_path, two.replace("  old:\n    task: regression\n", ""))
    human, report = _check(capsys, config)
    empty = _one(report, "models.price")
    assert empty["severity"] == "warning" and "no predictions in the store yet" in empty["message"]
    gone = _one(report, "models")
    assert gone["model"] == "old" and "no longer declares" in gone["message"]
    assert human.code == 0


# ---------------------------------------------------------------- misspelt columns


@pytest.fixture
def stored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    text = BASE.replace("slices: [segment]", "slices: [segment, region]")
    config = write_config(tmp_path, text)
    frame = _frame([1440] * 3).with_columns(region=pl.lit("EU"))
    _ingest(capsys, config, frame)
    return config


def _no_store_text(result: Result) -> None:
    for marker in ("Binder Error", "Catalog Error", "Parser Error", "LINE ", "duckdb"):
        assert marker not in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("args", "known"),
    [
        (("slices", "metrics", "--by", "contry"), "segment, region, model_version"),
        (("slices", "estimate", "--by", "contry"), "segment, region, model_version"),
        (("labels", "delay", "--by", "contry"), "segment, region"),
        (("examples", "--where", "contry=US"), "segment, region, spend, plan"),
        (("slices", "metrics", "--where", "contry=US"), "segment, region, spend, plan"),
    ],
)
def test_a_misspelt_column_names_the_known_ones(
    stored: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], known: str
) -> None:
    result = cli(capsys, "--config", stored, "--now", NOW, *args, "-m", "churn")
    assert result.code == 2
    assert "'contry'" in result.err and "model churn's predictions" in result.err
    assert f"known: {known}" in result.err
    _no_store_text(result)


def test_a_column_declared_after_the_last_ingest_is_said_not_queried(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stored.read_text().replace(
        "slices: [segment, region]", "slices: [segment, region, tier]"
    )
    stored.write_text(text)
    for args in (
        ("slices", "metrics", "--by", "tier"),
        ("examples", "--where", "tier=x"),
        ("labels", "delay", "--by", "tier"),
        ("examples",),
    ):
        result = cli(capsys, "--config", stored, "--now", NOW, *args, "-m", "churn")
        assert result.code == 2, (args, result.err)
        assert "'tier'" in result.err and "stored predictions yet" in result.err
        _no_store_text(result)
    # `check` adds the declared column (empty) rather than failing on it.
    run = cli(capsys, "--config", stored, "--now", NOW, "check")
    assert run.code == 0, run.err
    _no_store_text(run)


def test_a_model_with_no_predictions_is_said_not_queried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, BASE)
    _ingest(capsys, config, _frame([100]))
    # A model declared after the last ingest: the store has no table of it yet.
    write_config(
        tmp_path,
        BASE.replace("checks:\n", "  price:\n    task: regression\n    slices: [city]\nchecks:\n"),
    )
    for args in (
        ("slices", "metrics"),
        ("slices", "worst"),
        ("examples",),
        ("labels", "delay"),
    ):
        result = cli(capsys, "--config", config, "--now", NOW, *args, "-m", "price")
        assert result.code == 2, (args, result.err)
        assert "no predictions in the store yet" in result.err
        _no_store_text(result)
    run = cli(capsys, "--config", config, "--now", NOW, "check")
    assert run.code == 0, run.err
    _no_store_text(run)


def test_drift_support_counts_a_features_values_not_its_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1,440 rows a day fit min_support 500; spend is empty in 6 rows of 7 (about 206
    # values a day), and drift of spend counts values: it is never judged.
    config = write_config(tmp_path, BASE)
    frame = _frame([1440] * 8)
    row = pl.int_range(pl.len())
    frame = frame.with_columns(pl.when(row % 7 == 0).then(pl.col("spend")).alias("spend"))
    _ingest(capsys, config, frame)
    human, report = _check(capsys, config)
    problems = [p for p in report["problems"] if p["key"] == "checks.drift.min_support"]
    assert len(problems) == 1, report["problems"]
    per_day = [len(range(d * 1440, (d + 1) * 1440, 7)) for d in range(7)]
    assert problems[0]["severity"] == "error"
    assert problems[0]["message"].startswith("drift of spend on model churn will never be judged")
    typical = round(statistics.median(per_day))
    assert f"about {typical:,} spend values (not empty) per 1d window" in problems[0]["message"]
    assert human.code == 2
