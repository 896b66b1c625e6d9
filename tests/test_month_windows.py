"""Calendar-month windows (`1mo`): months of 28, 29, 30 and 31 days and across a year's
end, monthly SLOs equal to a plain-Python oracle over each month, a monthly SLO that
breaches in one month and not the next, and the config refusing `0mo` by its key."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.helpers import cli
from tui.cli.main import main
from tui.core.checks.drift import trailing_sums
from tui.core.checks.spans import Span, count_windows, due_span
from tui.core.config.settings import Slo
from tui.core.config.times import Months, add_months, period_floor, period_next

MONTH = Months(1)


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (datetime(2027, 2, 1), 28),
        (datetime(2028, 2, 1), 29),  # leap year
        (datetime(2026, 11, 1), 30),
        (datetime(2026, 12, 1), 31),  # ends in the next year
        (datetime(2027, 1, 1), 31),
    ],
)
def test_a_month_window_is_the_calendar_month(start: datetime, days: int) -> None:
    end = period_next(start, MONTH)
    assert end - start == timedelta(days=days)
    # Every moment of the month floors to its first, the last microsecond included.
    for moment in (
        start,
        start + timedelta(days=days // 2, hours=13),
        end - timedelta(microseconds=1),
    ):
        assert period_floor(moment, MONTH) == start
    assert period_floor(end, MONTH) == end
    assert MONTH.label(start) == f"{start:%Y-%m}"


def test_spans_of_months_cross_a_year_end() -> None:
    span = due_span("slo", MONTH, datetime(2026, 11, 20, 5), {}, datetime(2027, 3, 2), None, None)
    assert span.windows() == [
        datetime(2026, 11, 1),
        datetime(2026, 12, 1),
        datetime(2027, 1, 1),
        datetime(2027, 2, 1),
    ]
    assert [span.end_of(w).day for w in span.windows()] == [1, 1, 1, 1]
    assert span.end_of(datetime(2026, 12, 1)) == datetime(2027, 1, 1)
    # Days of the span are summed into their month.
    assert span.window_of(datetime(2027, 1, 31)) == datetime(2027, 1, 1)
    assert count_windows(datetime(2026, 11, 1), datetime(2027, 3, 1), MONTH) == 4
    # A run that is behind takes the earliest months and says how many are left.
    capped = due_span(
        "slo", MONTH, datetime(2026, 1, 5), {}, datetime(2027, 3, 2), None, None, max_windows=3
    )
    assert capped.windows() == [datetime(2026, 1, 1), datetime(2026, 2, 1), datetime(2026, 3, 1)]
    assert capped.remaining == 11
    # Quarters (3mo) are calendar quarters.
    quarter = Months(3)
    assert period_floor(datetime(2026, 11, 20), quarter) == datetime(2026, 10, 1)
    assert quarter.label(datetime(2026, 10, 1)) == "2026-10..2026-12"
    assert Span(datetime(2026, 10, 1), datetime(2027, 4, 1), quarter).windows() == [
        datetime(2026, 10, 1),
        datetime(2027, 1, 1),
    ]


def test_times_are_naive_utc_so_no_daylight_saving_applies() -> None:
    # The store keeps naive UTC; an offset given is converted, so a month boundary is
    # midnight UTC on the first, whatever the writer's zone (no DST shifts).
    from tui.core.config.times import parse_timestamp

    moment = parse_timestamp("2026-11-01T01:30:00+02:00")
    assert moment.tzinfo is None
    assert period_floor(moment, MONTH) == datetime(2026, 10, 1)


def test_the_config_takes_1mo_and_refuses_0mo_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Slo(metric="accuracy", min=0.5, window="1mo").window == MONTH
    assert Slo(metric="accuracy", min=0.5, window=" 3mo ").window == Months(3)
    for bad in ("0mo", "1month", "mo", "121mo"):
        config = tmp_path / f"bad_{bad}.yaml"
        config.write_text(_config(f"'{bad}'"), encoding="utf-8")
        r = cli(capsys, "--config", config, "config", "check")
        assert r.code == 2, (bad, r.out, r.err)
        assert "slos" in r.err and "window" in r.err, (bad, r.err)
        assert "Traceback" not in r.err
        if bad == "1month":  # the refusal names both ways of writing a window
            assert "1mo" in r.err and "30m" in r.err, r.err
    # A trailing month keeps its end's time of day: check windows must divide a day.
    config = tmp_path / "weekly.yaml"
    config.write_text(_config().replace("  window: 1d\n", "  window: 7d\n"), encoding="utf-8")
    r = cli(capsys, "--config", config, "config", "check")
    assert r.code == 2 and "checks.drift" in r.err and "divide a day" in r.err, r.err
    # Monthly check windows with drift left at its default day: refused, by name.
    config.write_text(MONTHLY_CHECKS.replace("  drift: {window: 1mo, min_support: 50}\n", ""))
    r = cli(capsys, "--config", config, "config", "check")
    assert r.code == 2 and "checks.drift.window" in r.err and "whole months" in r.err, r.err
    # Estimated SLOs take months too (tests/test_month_gap_estimates.py judges them).
    assert Slo(metric="estimated_accuracy", min=0.5, window="1mo").window == MONTH


START = datetime(2027, 12, 1)
NOW = datetime(2028, 3, 10)


def _config(window: str = "1mo", extra: str = "") -> str:
    return f"""\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    slices: [region]
    labels: {{expected_delay: 1d}}
    slos:
      - {{metric: accuracy, min: 0.7, window: {window}, min_labeled: 100}}
      - {{metric: auc, min: 0.5, window: {window}, min_labeled: 100}}
      - {{metric: precision, min: 0.5, window: {window}, min_labeled: 40, by: region}}
      - {{metric: recall, min: 0.01, window: 1d, min_labeled: 5}}
{extra}checks:
  window: 1d
  drift: {{window: {window}, min_support: 50}}
"""


def _world(rng: np.random.Generator) -> pl.DataFrame:
    """Three months (December 2027 to February 2028, a leap February) with rows on the
    edges of each month; accuracy high in December and January, low in February."""
    ts: list[datetime] = []
    day = START
    while day < datetime(2028, 3, 3):
        ts += [day + timedelta(seconds=int(s)) for s in rng.integers(0, 86400, 12)]
        day += timedelta(days=1)
    # The first and the last microsecond of each month.
    for first in (datetime(2027, 12, 1), datetime(2028, 1, 1), datetime(2028, 2, 1)):
        ts += [first, period_next(first, MONTH) - timedelta(microseconds=1)]
    n = len(ts)
    score = np.round(rng.random(n), 2)  # ties
    stamps = np.array(ts, dtype="datetime64[us]")
    feb = stamps >= np.datetime64("2028-02-01")
    right = rng.random(n) < np.where(feb, 0.45, 0.9)
    predicted = np.where(score >= 0.5, "1", "0")
    label = np.where(right, predicted, np.where(predicted == "1", "0", "1"))
    return pl.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "ts": ts,
            "prediction": predicted,
            "score": score,
            "region": rng.choice(["north", "south"], n),
            "label": label,
        }
    )


def _oracle(rows: pl.DataFrame, metric: str) -> float:
    """The metric over the rows, in plain Python."""
    y = rows["label"].to_list()
    p = rows["prediction"].to_list()
    if metric == "accuracy":
        return float(sum(a == b for a, b in zip(y, p, strict=True)) / len(y))
    if metric == "precision":
        called = [a for a, b in zip(y, p, strict=True) if b == "1"]
        return float(sum(a == "1" for a in called) / len(called))
    s = rows["score"].to_list()
    pos = [x for x, a in zip(s, y, strict=True) if a == "1"]
    neg = [x for x, a in zip(s, y, strict=True) if a == "0"]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return float(wins / (len(pos) * len(neg)))


def _run(capsys: pytest.CaptureFixture[str] | None, folder: Path, *args: str) -> Any:
    argv: list[str | Path] = ["--config", folder / "oncall.yaml", "--now", NOW.isoformat(), *args]
    if capsys is None:  # in a module fixture: the real entry point, output captured here
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in argv])
        assert code in (0, 1), err.getvalue()
        return out.getvalue()
    r = cli(capsys, *argv)
    assert r.code in (0, 1), r.err
    assert "Traceback" not in r.err
    return r


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame, Any]:
    """The store after one `oncall check` of three months, and what that check said."""
    folder = tmp_path_factory.mktemp("months")
    (folder / "oncall.yaml").write_text(_config(), encoding="utf-8")
    frame = _world(np.random.default_rng(7))
    frame.drop("label").write_parquet(folder / "p.parquet")
    labels = frame.select("prediction_id", "label", labeled_at=pl.col("ts") + timedelta(hours=2))
    labels.write_parquet(folder / "l.parquet")
    for kind, name in (("predictions", "p"), ("labels", "l")):
        _run(None, folder, "ingest", kind, str(folder / f"{name}.parquet"), "-m", "m")
    return folder, frame, json.loads(_run(None, folder, "check", "--json"))


def test_monthly_slos_equal_the_oracle_and_breach_in_one_month(
    checked: tuple[Path, pl.DataFrame, Any],
) -> None:
    _folder, frame, out = checked
    monthly = [r for r in out["results"] if r["kind"] == "slo" and _length(r) > timedelta(days=2)]
    months = {
        (r["check"], r["window_start"][:7], tuple(sorted((r["slice"] or {}).items()))): r
        for r in monthly
    }
    assert len(months) == len(monthly)
    firsts = [datetime(2027, 12, 1), datetime(2028, 1, 1), datetime(2028, 2, 1)]
    # Each month judged once per SLO (and slice), over the whole calendar month.
    assert {m for (_c, m, _s) in months} == {"2027-12", "2028-01", "2028-02"}
    for first in firsts:
        end = period_next(first, MONTH)
        rows = frame.filter((pl.col("ts") >= first) & (pl.col("ts") < end))
        key = f"{first:%Y-%m}"
        for metric in ("accuracy", "auc"):
            r = months[(f"slo:{metric}", key, ())]
            assert datetime.fromisoformat(r["window_start"]) == first
            assert datetime.fromisoformat(r["window_end"]) == end
            assert r["n"] == rows.height
            assert r["value"] == pytest.approx(_oracle(rows, metric), rel=1e-9)
            assert r["detail"]["period"] == key
        for region in ("north", "south"):
            part = rows.filter(pl.col("region") == region)
            r = months[("slo:precision:by=region", key, (("region", region),))]
            assert r["value"] == pytest.approx(_oracle(part, "precision"), rel=1e-9)
    status = {
        m: months[("slo:accuracy", m, ())]["status"] for m in ("2027-12", "2028-01", "2028-02")
    }
    assert status["2027-12"] == status["2028-01"] == "pass"
    assert status["2028-02"] == "critical"
    # The daily SLO beside them keeps its day windows.
    daily = [r for r in out["results"] if r["check"] == "slo:recall"]
    assert len(daily) >= 90 and all(_length(r) == timedelta(days=1) for r in daily)


def _length(result: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(result["window_end"]) - datetime.fromisoformat(
        result["window_start"]
    )


def test_a_monthly_alert_names_its_month(
    checked: tuple[Path, pl.DataFrame, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _frame, _out = checked
    listed = _run(capsys, folder, "alerts", "list", "--json").json()
    slo = [a for a in listed if a["check"] == "slo:accuracy"]
    # Breached in February only: one alert, its window the month, its JSON's fields kept.
    assert len(slo) == 1
    alert = slo[0]
    assert alert["detail"]["period"] == "2028-02"
    assert datetime.fromisoformat(alert["first_seen"]) == datetime(2028, 3, 1)
    table = _run(capsys, folder, "alerts", "list").out
    row = next(line for line in table.splitlines() if line.startswith(f"{alert['id']} "))
    assert "2028-02" in row
    shown = _run(capsys, folder, "alerts", "show", str(alert["id"]), "--json").json()
    # The episode's results reach back to the start of the month judged.
    assert [datetime.fromisoformat(r["window_start"]) for r in shown["results"]] == [
        datetime(2028, 2, 1)
    ]
    assert "(last 2028-02)" in _run(capsys, folder, "alerts", "show", str(alert["id"])).out
    drill = _run(capsys, folder, "examples", "--alert", str(alert["id"]), "--json").json()
    assert drill["drill"]["since"].startswith("2028-02-01")
    assert drill["drill"]["until"].startswith("2028-03-01")


def test_trailing_month_sums_equal_a_brute_force_sum() -> None:
    rng = np.random.default_rng(3)
    day = timedelta(days=1)
    span = Span(datetime(2028, 1, 25), datetime(2028, 4, 2), day)
    first = add_months(span.start + day, -1)
    per_step = {
        (first + k * day, "f"): {b: int(rng.integers(0, 5)) for b in range(3)}
        for k in range((span.end - first) // day)
    }
    got = trailing_sums(per_step, span, MONTH)
    for w in span.windows():
        start, end = add_months(w + day, -1), w + day  # 31 March back to 29 February
        expected = {b: 0 for b in range(3)}
        for (t, _), counts in per_step.items():
            if start <= t < end:
                for b, n in counts.items():
                    expected[b] += n
        assert got[(w, "f")] == {b: n for b, n in expected.items() if n}, w
    # The same code keeps the fixed-length windows it had.
    fixed = trailing_sums(per_step, span, timedelta(days=7))
    w = datetime(2028, 3, 1)
    assert fixed[(w, "f")] == {
        b: sum(per_step[(w - k * day, "f")][b] for k in range(7)) for b in range(3)
    }


def test_drift_over_a_trailing_month_reads_the_calendar_month_back(
    checked: tuple[Path, pl.DataFrame, Any],
) -> None:
    _folder, frame, out = checked
    drift = [r for r in out["results"] if r["kind"] == "score_drift" and r["slice"] is None]
    assert len(drift) >= 60
    for r in drift:
        end = datetime.fromisoformat(r["window_end"])
        start = add_months(end, -1)  # 1 March back to 1 February; 30 March to 29 Feb
        assert datetime.fromisoformat(r["detail"]["span_start"]) == start
        rows = frame.filter((pl.col("ts") >= start) & (pl.col("ts") < end))
        assert r["n"] == rows.height, r["window_start"]


MONTHLY_CHECKS = """\
store: store.duckdb
models:
  q:
    task: binary
    positive: "1"
    slices: [region]
    features:
      amount: {type: numeric, min: 0, max: 100, max_null: 0.05}
      plan: {type: categorical, allowed: [a, b, c]}
checks:
  window: 1mo
  min_rows: 10
  drift: {window: 1mo, min_support: 50}
"""


def test_check_windows_of_a_month_equal_the_oracle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(5)
    # November 2026 to February 2027: 30, 31, 31 and 28 days, across a year's end, with
    # rows on each month's first and last microsecond.
    ts = [
        datetime(2026, 11, 1) + timedelta(seconds=int(s))
        for s in rng.integers(0, 120 * 86400, 1500)
    ]
    ts += [datetime(2026, 12, 1), datetime(2026, 12, 1) - timedelta(microseconds=1)]
    ts += [datetime(2027, 1, 1), datetime(2027, 1, 1) - timedelta(microseconds=1)]
    n = len(ts)
    amount = rng.normal(50, 30, n)
    amount[rng.random(n) < 0.08] = np.nan
    frame = pl.DataFrame(
        {
            "prediction_id": [f"q{i}" for i in range(n)],
            "ts": ts,
            "prediction": rng.choice(["0", "1"], n),
            "score": rng.random(n),
            "region": rng.choice(["north", "south"], n),
            "amount": amount,
            "plan": rng.choice(["a", "b", "c", "z"], n, p=[0.4, 0.3, 0.28, 0.02]),
        }
    ).with_columns(pl.col("amount").fill_nan(None))
    (tmp_path / "oncall.yaml").write_text(MONTHLY_CHECKS, encoding="utf-8")
    frame.write_parquet(tmp_path / "q.parquet")
    now = "2027-03-05"
    r = cli(
        capsys,
        "--config",
        tmp_path / "oncall.yaml",
        "--now",
        now,
        "ingest",
        "predictions",
        tmp_path / "q.parquet",
        "-m",
        "q",
    )
    assert r.code == 0, r.err
    r = cli(capsys, "--config", tmp_path / "oncall.yaml", "--now", now, "check", "--json")
    assert r.code in (0, 1), r.err
    results = r.json()["results"]
    by = {(x["check"], x["window_start"][:7], json_slice(x)): x for x in results}
    firsts = [
        datetime(2026, 11, 1),
        datetime(2026, 12, 1),
        datetime(2027, 1, 1),
        datetime(2027, 2, 1),
    ]
    for first in firsts:
        end = period_next(first, MONTH)
        key = f"{first:%Y-%m}"
        rows = frame.filter((pl.col("ts") >= first) & (pl.col("ts") < end))
        nulls = rows["amount"].null_count()
        c = by[("completeness:amount", key, "")]
        assert _length(c) == end - first
        assert c["n"] == rows.height and c["detail"]["nulls"] == nulls
        assert c["value"] == pytest.approx(nulls / rows.height, rel=1e-9)
        assert c["detail"]["period"] == key
        present = rows["amount"].drop_nulls()
        bad = int(((present < 0) | (present > 100)).sum())
        assert by[("bounds:amount", key, "")]["detail"]["violations"] == bad
        odd = int((rows["plan"] == "z").sum())
        assert by[("allowed_values:plan", key, "")]["detail"]["violations"] == odd
        for region in ("north", "south"):
            part = rows.filter(pl.col("region") == region)
            assert by[("completeness:amount", key, f"region={region}")]["n"] == part.height
        drift = by[("drift:amount", key, "")]
        assert drift["n"] == present.len()
        assert datetime.fromisoformat(drift["detail"]["span_start"]) == first
        if first > firsts[0]:
            before = period_floor(first - timedelta(days=1), MONTH)
            prior = frame.filter((pl.col("ts") >= before) & (pl.col("ts") < first)).height
            volume = by[("volume", key, "")]
            expected = prior * (end - first) / (first - before)
            assert volume["detail"]["expected"] == pytest.approx(expected, rel=1e-9)
            assert volume["value"] == pytest.approx(rows.height / expected, rel=1e-9)
    # March is not over: not judged.
    monthly = [x for x in results if x["kind"] in ("completeness", "volume", "drift")]
    assert not any(x["window_start"].startswith("2027-03") for x in monthly)
    # The next run, once March is over, judges March alone, against February's count.
    march = frame.head(300).with_columns(
        pl.Series("ts", [datetime(2027, 3, 1) + timedelta(hours=2 * i) for i in range(300)]),
        pl.Series("prediction_id", [f"m{i}" for i in range(300)]),
    )
    march.write_parquet(tmp_path / "march.parquet")
    later = ["--config", str(tmp_path / "oncall.yaml"), "--now", "2027-04-02"]
    r = cli(capsys, *later, "ingest", "predictions", tmp_path / "march.parquet", "-m", "q")
    assert r.code == 0, r.err
    r = cli(capsys, *later, "check", "--json")
    assert r.code in (0, 1), r.err
    again = [x for x in r.json()["results"] if x["kind"] == "volume"]
    assert [x["window_start"][:7] for x in again] == ["2027-03"]
    feb = frame.filter(pl.col("ts") >= datetime(2027, 2, 1)).height
    assert again[0]["detail"]["expected"] == pytest.approx(feb * 31 / 28, rel=1e-9)


def json_slice(result: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((result["slice"] or {}).items()))
