"""Start-up: `oncall --help`, `--version` and `alerts list --json` on a small store, as
ratios to `python -c "import duckdb"` in the same run (issue 14: at most 2.5×).

Each measured process runs with bytecode caching on, as on a user's machine (the test
environment sets PYTHONDONTWRITEBYTECODE=1; it is unset for the measured process and
a warm-up run writes the cache first).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import churn_frame, write_config

pytestmark = pytest.mark.benchmark

RUNS = 7
TARGET = 2.5


def _best(argv: list[str], cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)  # warm caches
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def test_start_up_is_close_to_importing_duckdb(tmp_path: Path) -> None:
    write_config(tmp_path)
    data = tmp_path / "p.parquet"
    churn_frame(2_000).write_parquet(data)
    oncall = str(Path(sys.executable).parent / "oncall")
    env = {**os.environ, "ONCALL_USER": "alice"}
    for args in (["ingest", "predictions", str(data), "--model", "churn"], ["check"]):
        subprocess.run([oncall, *args], cwd=tmp_path, env=env, capture_output=True, check=True)
    base = _best([sys.executable, "-c", "import duckdb"], tmp_path)
    figures = {
        "--help": _best([oncall, "--help"], tmp_path),
        "--version": _best([oncall, "--version"], tmp_path),
        "alerts list --json": _best([oncall, "alerts", "list", "--json"], tmp_path),
    }
    print(f"\nimport duckdb: {base * 1000:.0f} ms")
    for name, seconds in figures.items():
        print(f"oncall {name}: {seconds * 1000:.0f} ms, {seconds / base:.2f}× (target {TARGET}×)")
    for name, seconds in figures.items():
        assert seconds / base <= TARGET, f"oncall {name}: {seconds / base:.2f}×"
