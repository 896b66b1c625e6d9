"""The cost of one `oncall check` as history grows: the unseen loan-approvals scenario
delivered every four hours for ten days, each delivery ingested and checked. A check
judges the windows of its delivery, so its cost must not grow with the days behind it.
The ratio compares the last day's checks with the second day's (the first day has no
baseline yet), both measured in the same run."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from tests.scenario_feed import deliveries
from tui.sandbox.scenario import load_scenario

pytestmark = pytest.mark.benchmark
# A day of deliveries.
DAY = 6


@pytest.mark.timeout(1800)
def test_a_checks_cost_stays_flat_as_history_grows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_scenario("loan-approvals")
    done = list(deliveries(spec, tmp_path, capsys))
    # CPU seconds of every thread: a busy machine stretches wall-clock time.
    seconds = [d.cpu_seconds for d in done]
    second_day = statistics.median(seconds[DAY : 2 * DAY])
    last_day = statistics.median(seconds[-DAY:])
    ratio = last_day / second_day
    wall = [d.check_seconds for d in done]
    with capsys.disabled():
        print(
            f"\ncheck CPU seconds: first {seconds[0]:.2f}, "
            f"middle {seconds[len(seconds) // 2]:.2f}, last {seconds[-1]:.2f}; "
            f"median day 2 {second_day:.2f}, "
            f"day {len(seconds) // DAY} {last_day:.2f} ({ratio:.2f}x); wall seconds: first "
            f"{wall[0]:.2f}, middle {wall[len(wall) // 2]:.2f}, last {wall[-1]:.2f}"
        )
    assert ratio <= 1.5
