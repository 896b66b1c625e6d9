"""Alerts as of a moment: a replay, an investigation or a follow sees the alerts that
existed then, in the state they had then, never what happened afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli

NOW = "2026-11-26T04:00"


def _list(capsys: pytest.CaptureFixture[str], config: Path, now: str) -> dict[int, Any]:
    out = cli(
        capsys, "--config", config, "--now", now, "alerts", "list", "--status", "all", "--json"
    )
    assert out.code == 0, out.err
    return {a["id"]: a for a in out.json()}


def test_an_earlier_moment_sees_the_alerts_of_then_as_they_were(
    drill_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    present = _list(capsys, drill_config, NOW)
    episodic = [a for a in present.values() if a["count"] >= 3 and a["status"] != "retracted"]
    assert episodic, "the drill should have an alert of several windows"
    target = min(episodic, key=lambda a: a["first_seen"])
    first = datetime.fromisoformat(target["first_seen"])
    # An hour after it fired someone acked it, an hour later resolved it.
    for hours, action in ((1, ("ack", "--note", "on it")), (2, ("resolve", "--note", "fixed"))):
        at = (first + timedelta(hours=hours)).isoformat()
        done = cli(
            capsys,
            "--config",
            drill_config,
            "--now",
            at,
            "--as",
            "alice",
            "alerts",
            action[0],
            str(target["id"]),
            *action[1:],
        )
        assert done.code == 0, done.err
    # Just after it fired: it is there, firing, one window long; nothing later is.
    moment = first + timedelta(minutes=1)
    then = _list(capsys, drill_config, moment.isoformat())
    assert target["id"] in then
    seen = then[target["id"]]
    assert seen["status"] == "firing" and seen["acked_by"] is None
    assert seen["count"] == 1 and datetime.fromisoformat(seen["last_seen"]) <= moment
    assert all(datetime.fromisoformat(a["first_seen"]) <= moment for a in then.values())
    assert {i for i, a in present.items() if a["first_seen"] <= moment.isoformat()} == set(then)
    # After the ack, before the resolve: acked, by alice.
    between = _list(capsys, drill_config, (first + timedelta(hours=1, minutes=30)).isoformat())
    assert (between[target["id"]]["status"], between[target["id"]]["acked_by"]) == (
        "acked",
        "alice",
    )
    # At the present the list is the table as it is.
    now = _list(capsys, drill_config, NOW)
    assert now[target["id"]]["status"] == "resolved"
    assert {i: a["count"] for i, a in now.items()} == {i: a["count"] for i, a in present.items()}
