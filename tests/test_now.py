"""`--now` and `$ONCALL_NOW` as people write them: ISO times, offsets from the wall
clock and day words; anything else is one line and exit 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import SMALL_CONFIG, cli, write_config
from tui.core.config.times import BadNow, Clock, parse_now

WALL = datetime(2026, 11, 20, 14, 37, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-18T09:30", datetime(2026, 11, 18, 9, 30)),
        ("2026-11-18T09:30:00+02:00", datetime(2026, 11, 18, 7, 30)),
        ("2026-11-18", datetime(2026, 11, 18)),
        ("now", WALL),
        (" NOW ", WALL),
        ("-2h", WALL - timedelta(hours=2)),
        ("+30m", WALL + timedelta(minutes=30)),
        ("- 3d", WALL - timedelta(days=3)),
        ("today", datetime(2026, 11, 20)),
        ("yesterday 09:00", datetime(2026, 11, 19, 9, 0)),
        ("Yesterday", datetime(2026, 11, 19)),
        ("tomorrow 23:59", datetime(2026, 11, 21, 23, 59)),
    ],
)
def test_a_now_as_people_write_it(text: str, expected: datetime) -> None:
    assert parse_now(text, WALL) == expected


@pytest.mark.parametrize(
    "text", ["garbage", "yesterday 25:00", "-2x", "2h", "last tuesday", "", "-99999999999999d"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_now(text, WALL)


def test_a_relative_now_follows_the_wall_clock() -> None:
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    moment = Clock.from_text("-1d").now()
    assert before - timedelta(days=1, seconds=5) <= moment <= before - timedelta(days=1, seconds=-5)


def test_a_garbage_now_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, SMALL_CONFIG)
    result = cli(capsys, "--config", config, "--now", "yesterday at noon", "alerts", "list")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert "'yesterday 09:00'" in result.err
    monkeypatch.setenv("ONCALL_NOW", "garbage")
    result = cli(capsys, "--config", config, "alerts", "list")
    assert result.code == 2 and "$ONCALL_NOW" in result.err
    with pytest.raises(BadNow):
        Clock.from_text("9999-12-31")


def test_a_day_word_now_runs_a_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, SMALL_CONFIG)
    result = cli(capsys, "--config", config, "--now", "yesterday 09:00", "alerts", "list")
    assert result.code == 0, result.err
