"""The demo is one fixed world: the same seed gives the same alerts with the same ids,
commands in its folder keep its clock, and the README's tour runs verbatim on it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_NOW
from tests.helpers import ROOT, cli
from tui.core.config.folder_clock import DEMO_MARKER, folder_clock


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the whole demo folder (its marker, hence its clock, included)."""
    folder = tmp_path / "oncall-demo"
    shutil.copytree(demo_dir, folder, ignore=shutil.ignore_patterns(".oncall.duckdb.outbox*"))
    return folder


def _alerts(capsys: pytest.CaptureFixture[str], config: Path, *now: str) -> list[dict[str, Any]]:
    listed = cli(capsys, "--config", config, *now, "alerts", "list", "--status", "all", "--json")
    assert listed.code == 0, listed.err
    alerts: list[dict[str, Any]] = listed.json()
    return alerts


def test_commands_in_the_demo_folder_keep_its_clock(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_copy / "oncall.yaml"
    assert folder_clock(config) is not None
    assert folder_clock(config).isoformat().startswith(DEMO_NOW)  # type: ignore[union-attr]
    before = _alerts(capsys, config)
    assert before == _alerts(capsys, config, "--now", DEMO_NOW)
    # On the real clock (days or years later) a check would find hours of missing
    # traffic on every model and write them into the demo for good; on its own it
    # finds nothing new.
    checked = cli(capsys, "--config", config, "check", "--json")
    assert checked.code == 0, checked.err
    assert _alerts(capsys, config) == before
    # --now still says otherwise when asked.
    later = cli(capsys, "--config", config, "--now", "2026-11-26T09:00", "check", "--json")
    assert later.code in (0, 1), later.err
    assert len(_alerts(capsys, config, "--now", "2026-11-26T09:00")) > len(before)


def test_a_folder_without_a_valid_marker_keeps_no_clock(tmp_path: Path) -> None:
    config = tmp_path / "oncall.yaml"
    assert folder_clock(config) is None
    for text in ("{", '{"now": "soon"}', '{"now": "9999-01-01T00:00"}', "[]", '{"x": 1}'):
        (tmp_path / DEMO_MARKER).write_text(text, encoding="utf-8")
        assert folder_clock(config) is None, text
    (tmp_path / DEMO_MARKER).write_text('{"now": "2026-11-26T04:00:00+01:00"}', encoding="utf-8")
    assert folder_clock(config) is not None
    assert folder_clock(config).isoformat() == "2026-11-26T03:00:00"  # type: ignore[union-attr]


@pytest.mark.slow
def test_two_builds_with_the_same_seed_give_the_same_alerts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Built without --now, at whatever wall-clock time: the demo's world is its own."""
    lists = []
    for name in ("one", "two"):
        folder = tmp_path / name
        built = cli(capsys, "demo", "--dir", folder, "--no-ui", "--scale", "0.05", "--json")
        assert built.code == 0, built.err
        alerts = _alerts(capsys, folder / "oncall.yaml")
        assert alerts
        lists.append(
            [{k: a[k] for k in ("id", "model", "kind", "feature", "slice")} for a in alerts]
        )
    assert lists[0] == lists[1]


def _tour() -> list[str]:
    """The README's tour: the commands of the code block that starts with `cd oncall-demo`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```\w*\n(.*?)```", text, re.S) if "cd oncall-demo" in b)
    commands = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith("uv run oncall "):
                commands.append(part.removeprefix("uv run "))
    return commands


def test_the_readme_tour_runs_verbatim_on_the_demo(demo_copy: Path) -> None:
    commands = _tour()
    assert len(commands) >= 10, commands
    script = Path(sys.executable).parent / "oncall"
    # Who the demo puts on its team as the builder; the fixture's build had no login.
    env = {**os.environ, "NO_COLOR": "1", "ONCALL_USER": "carol"}
    env.pop("ONCALL_NOW", None)
    env.pop("ONCALL_CONFIG", None)
    said: dict[str, str] = {}
    for command in commands:
        argv = shlex.split(command)
        run = subprocess.run(
            [str(script), *argv[1:]],
            cwd=demo_copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        # `check --fail-on critical` exits 1 when a critical fires: that is its answer.
        allowed = (0, 1) if "--fail-on" in argv else (0,)
        assert run.returncode in allowed, f"{command}\n{run.stderr}"
        assert "Traceback" not in run.stderr, command
        said[command] = run.stdout + run.stderr
    # The alert the tour names is the one its note is about, and the ack landed on it.
    shown = next(v for k, v in said.items() if k.startswith("oncall alerts show "))
    ack = next(k for k in said if k.startswith("oncall alerts ack "))
    alert_id = ack.split()[3]
    detail = subprocess.run(
        [str(script), "alerts", "show", alert_id, "--json"],
        cwd=demo_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    alert = json.loads(detail.stdout)
    assert (alert["model"], alert["kind"], alert["feature"]) == ("fraud", "completeness", "amount")
    note = shlex.split(ack)[shlex.split(ack).index("--note") + 1]
    assert "amount" in note and "EU" in note
    acks = [e for e in alert["events"] if e["action"] == "ack" and e["actor"] == "carol"]
    assert any(e["detail"].get("note") == note for e in acks), alert["events"]
    assert f"#{alert_id}" in shown or alert_id in shown
