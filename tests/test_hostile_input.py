"""Input that bombs: hostile configs, options and clocks get exit 2 and one line, fast.

Each case runs the real command line. Before the fixes these took gigabytes (an alias
bomb), raised RecursionError or OverflowError tracebacks (deep nesting, huge
durations, `--timeout nan`) or evaluated millions of windows (`--now 9999-12-31`).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import SMALL_CONFIG, Result, churn_frame, cli, oncall_subprocess, write_config

# "Billion laughs": nine levels of nine aliases stand for 9**9 strings in 350 bytes.
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)

CHECKS_AT = SMALL_CONFIG + "checks:\n  window: WINDOW\n"

HOSTILE_CONFIGS: dict[str, tuple[str, str]] = {
    "alias bomb": (ALIAS_BOMB, "aliases (&/*)"),
    "alias bomb inside a model": (
        SMALL_CONFIG + "extra:\n" + "".join(f"  {line}\n" for line in ALIAS_BOMB.splitlines()),
        "aliases (&/*)",
    ),
    "recursive alias": ("x: &x [*x]\n", "aliases (&/*)"),
    "deep flow nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 100"),
    "deep block nesting": (
        "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "v: 1\n",
        "nested more than 100",
    ),
    "huge file": (SMALL_CONFIG + "#" + "x" * 1_100_000 + "\n", "too big"),
    "window beyond int64": (CHECKS_AT.replace("WINDOW", "99999999999999999999w"), "too long"),
    "window beyond timedelta": (CHECKS_AT.replace("WINDOW", "99999999999999d"), "too long"),
    "window of 11 years": (CHECKS_AT.replace("WINDOW", "572w"), "too long"),
    "window of 5000 digits": (CHECKS_AT.replace("WINDOW", "9" * 5000 + "s"), "too long"),
    "label delay huge": (SMALL_CONFIG.replace("2d}", "99999999999999999d}"), "too long"),
    "nan threshold": (SMALL_CONFIG.replace("0.5", ".nan"), "threshold"),
    "inf threshold": (SMALL_CONFIG.replace("0.5", ".inf"), "threshold"),
    "negative bound budget": (
        SMALL_CONFIG + "checks:\n  volume: {min_ratio: -1}\n",
        "min_ratio",
    ),
    "zero windows per run": (SMALL_CONFIG + "checks:\n  max_windows_per_run: 0\n", "max_windows"),
}


def _one_line_exit_2(result: Result, seconds: float, expect: str) -> None:
    assert result.code == 2, (result.code, result.err[-2000:])
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err[-2000:]
    assert expect in lines[0], lines[0]
    assert seconds < 10, seconds


@pytest.mark.parametrize("case", list(HOSTILE_CONFIGS))
def test_hostile_config_is_refused_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expect = HOSTILE_CONFIGS[case]
    config = write_config(tmp_path, text)
    started = time.perf_counter()
    result = cli(capsys, "--config", config, "check")
    _one_line_exit_2(result, time.perf_counter() - started, expect)


def test_alias_bomb_is_refused_by_the_console_script(tmp_path: Path) -> None:
    config = write_config(tmp_path, ALIAS_BOMB)
    started = time.perf_counter()
    result = oncall_subprocess("--config", config, "check", cwd=tmp_path, timeout=30)
    _one_line_exit_2(result, time.perf_counter() - started, ":6: config uses YAML aliases")


def test_small_aliases_still_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SMALL_CONFIG.replace(
        "spend: {type: numeric, min: 0, max: 1000}", "spend: &money {type: numeric, min: 0}"
    ).replace("rooms: {type: numeric, min: 1}", "rooms: *money")
    _store_with_data(tmp_path, capsys, text=text)


def _store_with_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str = "", text: str = SMALL_CONFIG
) -> Path:
    """A config (``text`` plus ``extra``) whose store holds a few churn predictions."""
    config = write_config(tmp_path, text + extra)
    data = tmp_path / "a.parquet"
    churn_frame(120).write_parquet(data)
    result = cli(
        capsys,
        "--config",
        config,
        "--now",
        "2026-11-21",
        "ingest",
        "predictions",
        data,
        "-m",
        "churn",
    )
    assert result.code == 0, result.err
    return config


def test_a_long_way_to_now_is_checked_in_bounded_runs_that_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _store_with_data(tmp_path, capsys, "checks:\n  max_windows_per_run: 50\n")
    # From 2026-11-20 to 2027-06-01 is about 4,700 hourly windows.
    first = cli(capsys, "--config", config, "--now", "2027-06-01", "check", "--json")
    assert first.code == 0, first.err
    assert first.json()["complete"] is False
    left = first.json()["remaining_windows"]["churn"]
    assert 4000 < left < 5000
    assert "stopped early" in first.err and "run `oncall check` again" in first.err
    second = cli(capsys, "--config", config, "--now", "2027-06-01", "check", "--json")
    assert second.code == 0, second.err
    # The second run went on from where the first stopped: 50 windows further.
    assert second.json()["remaining_windows"]["churn"] == left - 50
    # Checked up to a near "now", the same store has nothing left.
    near = cli(capsys, "--config", config, "--now", "2026-11-21", "check", "--json")
    assert near.json()["complete"] is True
    assert near.json()["remaining_windows"] == {}
    assert "stopped early" not in near.err


def test_now_far_ahead_finishes_quickly_with_the_default_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _store_with_data(tmp_path, capsys)
    started = time.perf_counter()
    result = cli(capsys, "--config", config, "--now", "2199-12-31", "check")
    assert result.code == 0, result.err
    assert time.perf_counter() - started < 10
    assert "stopped early" in result.err
    assert "Traceback" not in result.err
