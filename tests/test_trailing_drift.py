"""Drift judged every hour over a trailing window; vanished values with hysteresis.

Small synthetic stores with hourly traffic: a strong shift is alerted within hours and a
weak one only once most of the trailing window holds it; the statistic at every hour is
PSI recomputed with numpy and scipy over exactly the trailing rows; an incident is one
episode; and a run after a long history reads no more than one after a short one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy.special import rel_entr

from tests.helpers import cli, write_config
from tui.cli.main import main
from tui.core.alerts.reading import list_alerts
from tui.core.checks import counts
from tui.core.checks import drift as drift_module
from tui.core.checks.drift import follow_overall, trailing_sums
from tui.core.checks.evaluate import evaluate_model
from tui.core.checks.results import Result
from tui.core.checks.spans import Span
from tui.core.config.settings import Settings, load_config
from tui.core.errors import ConfigError
from tui.core.monitor.run import run_checks
from tui.core.store.connection import Store

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
START = datetime(2026, 11, 1)
BASELINE_END = START + 2 * DAY
SHIFT = START + 3 * DAY  # the hour H every planted incident starts at
RATE = 100  # rows an hour

CONFIG = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    slices: [seg]
    features:
      strong: {type: numeric}
      weak: {type: numeric}
      cat: {type: categorical}
    baseline: {start: 2026-11-01, end: 2026-11-02}
    labels: {expected_delay: 1d}
checks:
  window: 1h
  drift: {window: 24h, bins: 20, min_support: 500}
alerting: {resolve_after: 3}
"""


def _frame(
    hours: int,
    rng: np.random.Generator,
    strong_until: datetime | None = None,
    cat_share: Callable[[datetime], float] | None = None,
    rate: Callable[[datetime], int] | None = None,
) -> pl.DataFrame:
    """Hourly traffic from START: `strong` jumps by 4 sd from SHIFT (until
    `strong_until`), `weak` by 0.45 sd from SHIFT on, `cat` value c has share
    `cat_share(hour)` (baseline 0.2)."""
    parts = []
    for h in range(hours):
        t0 = START + h * HOUR
        n = rate(t0) if rate else RATE
        if n == 0:
            continue
        ts = [t0 + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 3600, n))]
        strong = rng.normal(0, 1, n)
        weak = rng.normal(0, 1, n)
        if t0 >= SHIFT and (strong_until is None or t0 < strong_until):
            strong += 4.0
        if t0 >= SHIFT:
            weak += 0.45
        c = cat_share(t0) if cat_share else 0.2
        cat = rng.choice(["a", "b", "c"], n, p=[0.5, 0.5 - c, c])
        score = rng.random(n)
        parts.append(
            pl.DataFrame(
                {
                    "prediction_id": [f"h{h}-{i}" for i in range(n)],
                    "ts": ts,
                    "prediction": np.where(score >= 0.5, "1", "0"),
                    "score": score,
                    "seg": rng.choice(["s1", "s2"], n),
                    "strong": strong,
                    "weak": weak,
                    "cat": cat,
                }
            )
        )
    return pl.concat(parts)


def _world(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    frame: pl.DataFrame,
    config: str = CONFIG,
) -> Settings:
    path = write_config(tmp_path, config)
    data = tmp_path / "predictions.parquet"
    frame.write_parquet(data)
    done = cli(capsys, "--config", path, "ingest", "predictions", data, "--model", "m")
    assert done.code == 0, done.err
    return load_config(path)


def _first_seen(settings: Settings, now: datetime, kind: str, feature: str | None) -> list[Any]:
    store = Store(settings.store_path)
    return [
        a
        for a in list_alerts(store, now, status="all")
        if a.kind == kind and a.feature == feature and a.slice is None
    ]


def _results(settings: Settings, now: datetime) -> list[Result]:
    store = Store(settings.store_path)
    with store.write() as con:  # the baseline's bins are cached on first use
        # From the first data on, whatever the watermarks say.
        return evaluate_model(con, settings, "m", now, since=START).results


def _psi_oracle(expected: np.ndarray, actual: np.ndarray, eps: float = 1e-4) -> float:
    """PSI as the symmetric KL divergence (scipy's rel_entr both ways), shares floored."""
    e = np.maximum(expected / expected.sum(), eps)
    a = np.maximum(actual / actual.sum(), eps)
    return float(np.sum(rel_entr(a, e) + rel_entr(e, a)))


# --- the sliding sum --------------------------------------------------------------------


def test_trailing_sums_equal_direct_sums_over_each_trailing_span() -> None:
    rng = np.random.default_rng(3)
    span = Span(START + 10 * HOUR, START + 40 * HOUR, HOUR)
    width = 6 * HOUR
    per_step: dict[tuple[datetime, str], dict[int, int]] = {}
    for h in range(4, 40):
        for key in ("x", "y"):
            if rng.random() < 0.2:
                continue  # an empty hour
            bins = {int(b): int(rng.integers(1, 9)) for b in rng.choice(5, 3, replace=False)}
            per_step[(START + h * HOUR, key)] = bins
    got = trailing_sums(per_step, span, width)
    for w in span.windows():
        for key in ("x", "y"):
            direct: dict[int, int] = {}
            for (t, k), bins in per_step.items():
                if k == key and w + HOUR - width <= t < w + HOUR:
                    for b, n in bins.items():
                        direct[b] = direct.get(b, 0) + n
            assert got.get((w, key), {}) == direct, (w, key)
    assert trailing_sums(per_step, Span(START, START, HOUR), width) == {}
    assert trailing_sums({}, span, width) == {}


def test_a_slice_that_only_echoes_a_rising_overall_drift_is_covered() -> None:
    def result(slice_: dict[str, str] | None, value: float, status: Any) -> Result:
        w = START
        return Result(
            "m",
            "score_drift",
            "score_drift",
            None,
            slice_,
            w,
            w + HOUR,
            value,
            0.1,
            status,
            1000,
            {},
        )

    overall = result(None, 0.08, "pass")
    echo = result({"seg": "s1"}, 0.11, "warning")  # under 1.5 x the overall: the same shift
    local = result({"seg": "s2"}, 0.2, "warning")  # clearly worse: a problem of its own
    results = [overall, echo, local]
    follow_overall(results)
    assert (echo.status, echo.detail) == ("covered", {"covered_by": "overall"})
    assert local.status == "warning" and overall.status == "pass"


# --- detection in hours -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, pl.DataFrame]:
    """Five days; from SHIFT `strong` jumps for six hours, `weak` for good."""
    folder = tmp_path_factory.mktemp("shifted")
    frame = _frame(5 * 24, np.random.default_rng(11), strong_until=SHIFT + 6 * HOUR)
    path = write_config(folder, CONFIG)
    frame.write_parquet(folder / "p.parquet")
    ingest = ["--config", str(path), "ingest", "predictions", str(folder / "p.parquet")]
    assert main([*ingest, "--model", "m"]) == 0
    settings = load_config(path)
    run_checks(Store(settings.store_path), settings, START + 5 * DAY)
    return settings, frame


def test_a_strong_shift_is_alerted_within_three_hours(
    shifted: tuple[Settings, pl.DataFrame],
) -> None:
    settings, _ = shifted
    alerts = _first_seen(settings, START + 5 * DAY, "drift", "strong")
    assert len(alerts) == 1, alerts  # one incident, one episode
    alert = alerts[0]
    # Judged every hour over the trailing day: three shifted hours of 24 are enough.
    assert SHIFT < alert.first_seen <= SHIFT + 3 * HOUR
    # The trailing window keeps failing until the shifted hours have rolled out of it,
    # then the alert resolves: one episode for the incident.
    assert alert.status == "resolved"
    assert SHIFT + 6 * HOUR + DAY - 2 * HOUR <= alert.last_seen <= SHIFT + 6 * HOUR + DAY


def test_a_weak_shift_needs_most_of_the_window(shifted: tuple[Settings, pl.DataFrame]) -> None:
    settings, _ = shifted
    alerts = _first_seen(settings, START + 5 * DAY, "drift", "weak")
    assert len(alerts) == 1, alerts
    first = alerts[0].first_seen
    assert SHIFT + 12 * HOUR <= first <= SHIFT + DAY + HOUR, first
    assert alerts[0].status == "firing"


@pytest.mark.parametrize("seed", [0, 2])
def test_a_moderate_shift_that_ends_is_one_episode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    # `weak` moves by 0.5 sd for a day, then back: the trailing value rises through the
    # warning and, a day later, falls back through it, hour by hour, with noise.
    frame = _frame(6 * 24, np.random.default_rng(seed))
    during = (pl.col("ts") >= SHIFT) & (pl.col("ts") < SHIFT + DAY)
    frame = frame.with_columns(
        weak=pl.when(during)
        .then(pl.col("weak") + 0.05)
        .when(pl.col("ts") >= SHIFT)
        .then(pl.col("weak") - 0.45)
        .otherwise(pl.col("weak"))
    )
    settings = _world(tmp_path, capsys, frame)
    now = START + 6 * DAY
    run_checks(Store(settings.store_path), settings, now)
    alerts = _first_seen(settings, now, "drift", "weak")
    assert len(alerts) == 1, [(a.first_seen, a.last_seen, a.count) for a in alerts]
    alert = alerts[0]
    assert alert.status == "resolved"
    assert SHIFT + 6 * HOUR <= alert.first_seen <= SHIFT + DAY
    # Failing while most of the trailing day holds shifted rows, on both sides of its end.
    assert SHIFT + DAY < alert.last_seen <= SHIFT + 2 * DAY
    assert alert.count >= 10


def test_each_hour_judges_psi_over_exactly_the_trailing_rows(
    shifted: tuple[Settings, pl.DataFrame],
) -> None:
    settings, frame = shifted
    drift = settings.model("m").checks.drift
    results = [
        r
        for r in _results(settings, START + 5 * DAY)
        if r.kind == "drift" and r.feature in ("strong", "weak")
    ]
    # The first run judged every hour from the first data on, each feature once.
    assert len(results) == 2 * 5 * 24
    base = frame.filter(pl.col("ts") < BASELINE_END)
    checked = 0
    for r in results:
        assert r.window_end - r.window_start == HOUR
        assert r.detail["span_start"] == (r.window_end - DAY).isoformat()
        assert r.detail["span_end"] == r.window_end.isoformat()
        feature = str(r.feature)
        reference = base[feature].to_numpy()
        edges = np.unique(np.quantile(reference, np.arange(1, drift.bins) / drift.bins))
        rows = frame.filter((pl.col("ts") >= r.window_end - DAY) & (pl.col("ts") < r.window_end))[
            feature
        ].to_numpy()
        assert r.n == len(rows)
        if len(rows) < drift.min_support:
            assert r.value is None and r.status == "insufficient"
            continue
        size = len(edges) + 1
        expected = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=size)
        actual = np.bincount(np.searchsorted(edges, rows, side="right"), minlength=size)
        assert r.value == pytest.approx(_psi_oracle(expected, actual), rel=1e-9, abs=1e-12)
        checked += 1
    assert checked > 150


def test_min_support_counts_the_trailing_window_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 100 rows an hour: one hour never has 1000, a trailing day has 2400.
    config = CONFIG.replace("min_support: 500", "min_support: 1000")
    frame = _frame(2 * 24, np.random.default_rng(2))
    settings = _world(tmp_path, capsys, frame, config)
    results = [r for r in _results(settings, START + 2 * DAY) if r.check == "drift:weak"]
    assert len(results) == 48
    for r in results:
        trailing = frame.filter(
            (pl.col("ts") >= r.window_end - DAY) & (pl.col("ts") < r.window_end)
        )
        assert r.n == trailing.height
        assert (r.status == "insufficient") == (trailing.height < 1000), r
    # Judged from the tenth hour, when the trailing window first holds 1000 rows.
    assert [r.status == "insufficient" for r in results].index(False) == 9
    # Score drift too: overall and per slice value, over the trailing rows.
    scores = [
        r
        for r in _results(settings, START + 2 * DAY)
        if r.kind == "score_drift" and r.slice is None
    ]
    assert [r.n for r in scores] == [min(h + 1, 24) * RATE for h in range(48)]


# --- configuration ----------------------------------------------------------------------


def test_a_drift_window_that_is_not_whole_check_windows_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CONFIG.replace("window: 24h,", "window: 90m,")
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"{path}:" in message and "checks.drift" in message
    assert "whole number of check windows" in message
    done = cli(capsys, "--config", path, "check")
    assert done.code == 2
    assert "Traceback" not in done.err and "whole number" in done.err
    # A model's own check window is held to the same rule.
    own = CONFIG.replace(
        "    labels: {expected_delay: 1d}\n",
        "    labels: {expected_delay: 1d}\n    checks: {window: 5h}\n",
    )
    with pytest.raises(ConfigError, match=r"models\.m\.checks\.drift"):
        load_config(write_config(tmp_path, own))
    fine = CONFIG.replace("window: 1h", "window: 2h")
    assert load_config(write_config(tmp_path, fine)).model("m").checks.drift.window == DAY
    bad_share = CONFIG.replace("alerting:", "  distinct: {recover_share: 0}\nalerting:")
    with pytest.raises(ConfigError, match="recover_share"):
        load_config(write_config(tmp_path, bad_share))


# --- a vanished value is one episode ----------------------------------------------------


def _near_zero(t: datetime) -> float:
    # c falls to 2% of its baseline share at SHIFT and is back a day and a half later.
    return 0.2 * 0.02 if SHIFT <= t < SHIFT + 36 * HOUR else 0.2


def _distinct_episodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, seed: int = 7
) -> list[Any]:
    frame = _frame(5 * 24, np.random.default_rng(seed), cat_share=_near_zero)
    stray = frame.filter(
        (pl.col("cat") == "c") & (pl.col("ts") >= SHIFT) & (pl.col("ts") < SHIFT + 36 * HOUR)
    )
    assert stray.height >= 5, "the test needs stray rows of the near-vanished value"
    settings = _world(tmp_path, capsys, frame, config)
    now = START + 5 * DAY
    run_checks(Store(settings.store_path), settings, now)
    return _first_seen(settings, now, "distinct", "cat")


def test_a_value_fallen_to_near_zero_is_one_episode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = _distinct_episodes(tmp_path, capsys, CONFIG)
    assert len(alerts) == 1, [(a.first_seen, a.last_seen) for a in alerts]
    alert = alerts[0]
    assert SHIFT < alert.first_seen <= SHIFT + 2 * HOUR
    # Failing through the stray rows until c is back, then resolved.
    assert alert.status == "resolved"
    assert alert.last_seen >= SHIFT + 35 * HOUR
    assert alert.count >= 34


def test_without_hysteresis_the_same_data_flaps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A recovery share so low that one stray row clears the value: the old behaviour.
    config = CONFIG.replace("alerting:", "  distinct: {recover_share: 0.01}\nalerting:")
    alerts = _distinct_episodes(tmp_path, capsys, config)
    assert len(alerts) > 1


def test_a_vanished_value_that_cannot_be_told_is_insufficient_not_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # c vanishes at SHIFT for good; traffic stops for two days from SHIFT + 6h.
    quiet = (SHIFT + 6 * HOUR, SHIFT + 54 * HOUR)
    frame = _frame(
        6 * 24,
        np.random.default_rng(5),
        cat_share=lambda t: 0.0 if t >= SHIFT else 0.2,
        rate=lambda t: 0 if quiet[0] <= t < quiet[1] else RATE,
    )
    settings = _world(tmp_path, capsys, frame)
    now = START + 6 * DAY
    # Checked hour by hour through the quiet spell: the state carries from run to run.
    store = Store(settings.store_path)
    run_checks(store, settings, SHIFT)
    moment = SHIFT
    while moment < now:
        moment += 4 * HOUR
        run_checks(store, settings, moment)
    with store.read() as con:
        rows = con.execute(
            "SELECT window_start, status, detail FROM check_results "
            "WHERE check_name = 'distinct:cat' ORDER BY window_start"
        ).fetchall()
    status = {r[0]: r[1] for r in rows}
    # Once nothing was expected any more, c could not be told: not a pass.
    late_quiet = [status[t] for t in status if quiet[0] + 30 * HOUR <= t < quiet[1]]
    assert late_quiet and set(late_quiet) == {"insufficient"}
    assert all('"c"' in r[2] for r in rows if quiet[0] <= r[0] < quiet[1])
    # Traffic back, c still gone: the same episode goes on.
    alerts = _first_seen(settings, now, "distinct", "cat")
    assert len(alerts) == 1, [(a.first_seen, a.last_seen) for a in alerts]
    assert alerts[0].status == "firing"
    assert alerts[0].last_seen == now


# --- the cost of a run stays flat -------------------------------------------------------


def _reads_of_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], days: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[datetime, datetime]], int]:
    tmp_path.mkdir()
    frame = _frame(days * 24 + 1, np.random.default_rng(days))
    settings = _world(tmp_path, capsys, frame)
    end = START + days * DAY
    store = Store(settings.store_path)
    run_checks(store, settings, end)
    reads: list[tuple[datetime, datetime]] = []
    real = counts.bin_counts

    def counting(*args: Any) -> Any:
        reads.append((args[4], args[5]))
        return real(*args)

    monkeypatch.setattr(drift_module, "bin_counts", counting)  # what drift calls
    with store.write() as con:
        results = evaluate_model(con, settings, "m", end + HOUR).results
    monkeypatch.undo()
    return reads, len([r for r in results if r.kind == "drift"])


def test_a_run_after_a_long_history_reads_no_more_than_after_a_short_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    short, short_n = _reads_of_next_run(tmp_path / "short", capsys, 3, monkeypatch)
    long, long_n = _reads_of_next_run(tmp_path / "long", capsys, 12, monkeypatch)
    # One new hour: one judgement per feature, its counts read over one trailing day.
    assert short_n == long_n == 3
    assert [end - start for start, end in short] == [DAY]
    assert [end - start for start, end in long] == [DAY]
