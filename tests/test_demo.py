"""`oncall demo`: builds a store from the scenario, reuses it, summarises it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import cli, count


@pytest.mark.slow
def test_demo_builds_then_reuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    args = ("--now", "2026-11-26T04:00", "demo", "--dir", folder, "--no-ui", "--scale", "0.05")
    built = cli(capsys, *args, "--json")
    assert built.code == 0, built.err
    summary = built.json()
    assert {m["model"] for m in summary["models"]} == {"fraud", "routing", "eta"}
    assert summary["incidents"] == 14
    assert summary["shifts"] >= 3
    assert "built the demo" in built.err
    db = folder / "oncall.duckdb"
    assert count(db, "SELECT count(*) FROM predictions") == sum(
        m["predictions"] for m in summary["models"]
    )
    assert count(db, "SELECT count(*) FROM scenario_decisions") >= 8
    started = time.perf_counter()
    reused = cli(capsys, *args)
    assert reused.code == 0
    assert "reused the demo" in reused.err
    assert time.perf_counter() - started < 2.0
    assert "fraud" in reused.err  # the summary table


def test_demo_refuses_a_folder_that_is_not_a_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = cli(capsys, "demo", "--dir", tmp_path, "--no-ui", "--scale", "0.01")
    assert result.code == 2
    assert "is not a demo folder" in result.err
    assert (tmp_path / "precious.txt").exists()


def test_unknown_scenario_lists_the_shipped_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(capsys, "demo", "--dir", tmp_path / "d", "--no-ui", "--scenario", "nope")
    assert result.code == 2
    assert "no scenario 'nope'; shipped: demo" in result.err
