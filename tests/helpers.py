"""Shared test helpers: run the real CLI, write small configs and data files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tui.cli.main import main

ROOT = Path(__file__).resolve().parent.parent

SMALL_CONFIG = """\
store: store.duckdb
models:
  churn:
    task: binary
    positive: "yes"
    threshold: 0.5
    slices: [segment]
    features:
      spend: {type: numeric, min: 0, max: 1000}
      plan: {type: categorical, allowed: [a, b]}
    labels: {expected_delay: 2d}
  price:
    task: regression
    slices: [city]
    features:
      rooms: {type: numeric, min: 1}
team:
  - {name: alice, role: veteran}
  - {name: bob, role: trainee}
trust_as: true                  # the tests act `--as` each of them from one login
"""


@dataclass
class Result:
    """What a CLI run did: exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Result:
    """Run `oncall ARGS` in-process through the real entry point."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def oncall_subprocess(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Result:
    """Run the installed `oncall` console script in a child process."""
    script = Path(sys.executable).parent / "oncall"
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run(
        [str(script), *[str(a) for a in args]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write_config(folder: Path, text: str = SMALL_CONFIG) -> Path:
    path = folder / "oncall.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def churn_frame(n: int, start_id: int = 0) -> pl.DataFrame:
    """n valid churn predictions, one a minute from 2026-11-20."""
    from datetime import datetime, timedelta

    base = datetime(2026, 11, 20)
    return pl.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(start_id, start_id + n)],
            "ts": [base + timedelta(minutes=i) for i in range(start_id, start_id + n)],
            "prediction": ["yes" if i % 3 == 0 else "no" for i in range(start_id, start_id + n)],
            "score": [((i * 37) % 100) / 100 for i in range(start_id, start_id + n)],
            "segment": [["smb", "ent", "mid"][i % 3] for i in range(start_id, start_id + n)],
            "spend": [float(i % 500) for i in range(start_id, start_id + n)],
            "plan": [["a", "b"][i % 2] for i in range(start_id, start_id + n)],
        }
    )


def count(db: Path, sql: str) -> int:
    """A single count from the store, read-only (the CLI must have released it)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


async def settle(pilot: Any) -> None:
    """Wait until every worker has reported back and the screen caught up: three rounds
    in a row with no worker running (a message handled late may start one more)."""
    quiet = 0
    for _ in range(60):
        await pilot.pause()
        running = [w for w in pilot.app.workers if not w.is_finished]
        await pilot.app.workers.wait_for_complete()
        quiet = 0 if running else quiet + 1
        if quiet >= 3:
            break
    await pilot.pause()
