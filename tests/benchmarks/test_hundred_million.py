"""Issue 16 at 100M predictions: windowed commands cost what their window holds.

The 10M store (14 days) and the 100M one (140 days) carry the same traffic a day, so a
7-day command reads the same rows at both sizes and only the history grows. Each
command is timed at both sizes in the same run, the rounds interleaved so the machine's
load falls on both alike (best of RUNS); its growth from 10M to 100M is at most GROWTH.
Each command's peak memory at 100M is measured in a fresh process (the real CLI where
there is one); the store is at most BYTES_PER_PREDICTION bytes a prediction.

The commands are timed as the library calls the CLI and the app make (the CLI's start-up,
the same at any size, would only dilute the growth). Runs only with
``ONCALL_BENCH_100M=1``: building the 100M store takes an hour (see bigdata.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.benchmarks.bigdata import MODEL, cached_store
from tests.benchmarks.conftest import BIG_NOW, BIG_ROWS, HUGE_ROWS, HUGE_TIMEOUT
from tui.core.checks.estimated import daily_estimate
from tui.core.checks.kinds import REGISTRY
from tui.core.config.settings import Settings, load_config
from tui.core.config.times import floor_time, trailing_start
from tui.core.errors import StoreBusyError
from tui.core.ingest.rollups import refresh
from tui.core.monitor.run import run_checks, run_checks_to_end
from tui.core.slices.examples import examples_page
from tui.core.slices.explore import metric_series, slice_metrics, worst_slices
from tui.core.slices.labels import label_delay
from tui.core.slices.request import Request, default_window
from tui.core.store.connection import Store, execute

pytestmark = [
    pytest.mark.benchmark,
    pytest.mark.skipif(
        os.environ.get("ONCALL_BENCH_100M") != "1",
        reason="the 100M store is built only with ONCALL_BENCH_100M=1",
    ),
]
# Mid-afternoon after the data's last day (every label known, as in a real store): the
# CLI's window [midnight - 7 days, this hour) and the app's [this hour - 7 days, this
# hour) are then not whole days, so both rollups and raw edges are read.
NOW = BIG_NOW + timedelta(hours=15, minutes=17)
HOUR = timedelta(hours=1)
RUNS = 3
GROWTH = 1.3
PEAK_MB = 1200
TAB_SECONDS = 1.0
BYTES_PER_PREDICTION = 30
# Where the hourly check's test counts the checks as done (see _caught_up).
CHECKED_UNTIL = BIG_NOW - timedelta(days=14)

Command = Callable[[Store, Settings], object]


def _cli_request(settings: Settings) -> Request:
    """The request of a CLI command run without --since/--until (tui/cli/slices.py)."""
    since, until = default_window(NOW)
    return Request(MODEL, settings.model(MODEL), since, until, NOW)


def _refreshed(store: Store, settings: Settings) -> Store:
    """As the CLI's refreshed_store: rebuild dirty rollup days first (none here)."""
    with contextlib.suppress(StoreBusyError):
        refresh(Store(store.path, timeout=2.0), settings, MODEL)
    return store


def slices_metrics(store: Store, settings: Settings) -> object:
    """`oncall slices metrics --model fraud --by region`."""
    req = _cli_request(settings)
    with _refreshed(store, settings).read() as con:
        return slice_metrics(con, req, ["region"], None, False)


def slices_worst(store: Store, settings: Settings) -> object:
    """`oncall slices worst --model fraud` (depth 2, support 100)."""
    req = _cli_request(settings)
    with _refreshed(store, settings).read() as con:
        return worst_slices(con, req, None, 2, 100)


def labels_delay(store: Store, settings: Settings) -> object:
    """`oncall labels delay --model fraud`."""
    req = _cli_request(settings)
    with store.read() as con:
        return label_delay(con, req, None)


def examples(store: Store, settings: Settings) -> object:
    """`oncall examples --model fraud`: the first page of 50."""
    req = _cli_request(settings)
    with store.read() as con:
        return examples_page(con, req, limit=50)


def examples_wrong(store: Store, settings: Settings) -> object:
    """`oncall examples --model fraud --wrong`: the first page of 50 wrong ones."""
    req = _cli_request(settings)
    with store.read() as con:
        return examples_page(con, req, wrong=True, limit=50)


def slices_tab(store: Store, settings: Settings) -> object:
    """What the Slices tab computes when first shown (SliceExplorer.compute's job with
    its default controls: 7 days up to this hour, by the first slice column)."""
    spec = settings.model(MODEL)
    until = floor_time(NOW, HOUR)
    req = Request(MODEL, spec, trailing_start(until, "7d"), until, NOW)
    _refreshed(store, settings)
    with store.read() as con:
        rows, _source = slice_metrics(con, req, [spec.slices[0]], None)
        worst = worst_slices(con, req, None)
        # The primary metric (accuracy) has an estimate, so the tab computes it too.
        report, _why = daily_estimate(con, settings, req)
        series = metric_series(con, req, None, report)
    return rows, worst, series


def labels_tab(store: Store, settings: Settings) -> object:
    """What the Labels tab computes when first shown (LabelDelayPane.load's job: 14 days
    from midnight up to now, overall and by the first slice column)."""
    spec = settings.model(MODEL)
    start = floor_time(NOW - timedelta(days=14), timedelta(days=1))
    req = Request(MODEL, spec, start, NOW, NOW)
    with store.read() as con:
        return label_delay(con, req), label_delay(con, req, spec.slices[0])


COMMANDS: dict[str, Command] = {
    "slices metrics": slices_metrics,
    "slices worst": slices_worst,
    "labels delay": labels_delay,
    "examples page": examples,
    "examples --wrong page": examples_wrong,
    "Slices tab": slices_tab,
    "Labels tab": labels_tab,
}
# The CLI line of each command, for its peak memory in a fresh process (the tabs have
# none: their job runs alone in a fresh process instead).
CLI: dict[str, list[str]] = {
    "slices metrics": ["slices", "metrics", "-m", MODEL, "--by", "region", "--json"],
    "slices worst": ["slices", "worst", "-m", MODEL, "--json"],
    "labels delay": ["labels", "delay", "-m", MODEL, "--json"],
    "examples page": ["examples", "-m", MODEL, "--json"],
    "examples --wrong page": ["examples", "-m", MODEL, "--wrong", "--json"],
}

# A fresh process's own peak (VmHWM belongs to this process image; ru_maxrss would carry
# the peak of the large test process it was forked from), printed last on stderr.
_PEAK = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    sys.stderr.write('\\nVMHWM ' + status.split('VmHWM:')[1].split()[0] + '\\n')\n"
    "atexit.register(_peak)\n"
)


def _peak_of(code: str) -> tuple[float, float]:
    """Run `code` in a fresh Python; its peak resident memory in MB and its seconds."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _PEAK + code], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    assert out.returncode == 0, out.stderr[-2000:]
    kb = int(out.stderr.rsplit("VMHWM ", 1)[1].split()[0])
    return kb / 1024, seconds


def _cli_peak(config: Path, args: list[str], now: datetime = NOW) -> tuple[float, float]:
    argv = ["oncall", "--config", str(config), "--now", now.isoformat(), *args]
    return _peak_of(f"sys.argv = {argv!r}\nfrom tui.cli.main import run\nrun()\n")


def _job_peak(config: Path, name: str) -> tuple[float, float]:
    return _peak_of(
        textwrap.dedent(f"""
        from tests.benchmarks.test_hundred_million import COMMANDS
        from tui.core.config.settings import load_config
        from tui.core.store.connection import Store
        settings = load_config({str(config)!r})
        COMMANDS[{name!r}](Store(settings.store_path), settings)
        """)
    )


def _timed(command: Command, store: Store, settings: Settings) -> float:
    started = time.perf_counter()
    command(store, settings)
    return time.perf_counter() - started


def _size(rows: int) -> tuple[int, float]:
    """The cached store's bytes and bytes a prediction (as built, before migrations)."""
    size = (cached_store(rows) / "oncall.duckdb").stat().st_size
    return size, size / rows


@pytest.mark.timeout(HUGE_TIMEOUT)
def test_store_size_per_prediction(huge_store: Path) -> None:
    figures = {rows: _size(rows) for rows in (BIG_ROWS, HUGE_ROWS)}
    for rows, (size, per) in figures.items():
        built = json.loads((cached_store(rows) / "build.json").read_text())
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in built.items() if k.endswith("_s"))
        print(f"\nstore at {rows:,}: {size / 1e9:.2f} GB, {per:.1f} bytes a prediction ({stages})")
    assert figures[HUGE_ROWS][1] <= BYTES_PER_PREDICTION


@pytest.mark.timeout(HUGE_TIMEOUT)
def test_windowed_commands_do_not_grow_with_history(huge_store: Path, big_store: Path) -> None:
    sizes = {}
    for label, config in (("10M", big_store), ("100M", huge_store)):
        settings = load_config(config)
        sizes[label] = (Store(settings.store_path), settings)
    figures: dict[str, dict[str, float]] = {}
    for name, command in COMMANDS.items():
        best = dict.fromkeys(sizes, float("inf"))
        for _ in range(RUNS):
            for label, (store, settings) in sizes.items():
                best[label] = min(best[label], _timed(command, store, settings))
        figures[name] = best
        print(
            f"\n{name}: 10M {best['10M']:.3f} s, 100M {best['100M']:.3f} s, "
            f"growth {best['100M'] / best['10M']:.2f}x"
        )
    for name, best in figures.items():
        assert best["100M"] <= GROWTH * best["10M"], f"{name}: {best}"
    for tab in ("Slices tab", "Labels tab"):
        assert figures[tab]["100M"] <= TAB_SECONDS, f"{tab}: {figures[tab]}"


@pytest.mark.timeout(HUGE_TIMEOUT)
def test_peak_memory_of_each_command_at_hundred_million(huge_store: Path) -> None:
    peaks = {}
    for name in COMMANDS:
        if name in CLI:
            peaks[name] = _cli_peak(huge_store, CLI[name])
        else:
            peaks[name] = _job_peak(huge_store, name)
        mb, seconds = peaks[name]
        print(f"\n{name} at 100M in a fresh process: peak {mb:.0f} MB ({seconds:.1f} s)")
    for name, (mb, _) in peaks.items():
        assert mb <= PEAK_MB, f"{name}: {mb:.0f} MB"


def _caught_up(config: Path, folder: Path) -> Path:
    """Bring the store's checks up to date one hour before its end, as the hourly jobs
    before this one did, and keep a copy aside so each timing starts from it.

    The history before the last 14 days (the 10M store's whole history) counts as
    checked already (every kind's watermark is put there): checking 140 days of hourly
    windows would take the better part of an hour here, and both stores then hold the
    same 14 days of results, so only the data's history differs."""
    settings = load_config(config)
    store = Store(settings.store_path)
    model = settings.model(MODEL)
    with store.write() as con:
        for kind in REGISTRY.values():
            if kind.applies(model):
                params = {"model": MODEL, "kind": kind.name, "until": CHECKED_UNTIL}
                execute(con, "watermark_set", params)
    started = time.perf_counter()
    run_checks_to_end(store, settings, BIG_NOW - HOUR)
    print(
        f"\nchecks of the last 14 days of {config.parent.name}: "
        f"{time.perf_counter() - started:.0f} s"
    )
    warm = folder / f"warm-{config.parent.name}.duckdb"
    shutil.copy(settings.store_path, warm)
    return warm


def _hourly(config: Path, warm: Path) -> float:
    """One hourly check at the store's end, from the warm copy."""
    settings = load_config(config)
    shutil.copy(warm, settings.store_path)
    started = time.perf_counter()
    run_checks(Store(settings.store_path), settings, BIG_NOW)
    return time.perf_counter() - started


@pytest.mark.timeout(HUGE_TIMEOUT)
def test_the_hourly_check_at_hundred_million(
    huge_store: Path, big_store: Path, tmp_path: Path
) -> None:
    warm = {config: _caught_up(config, tmp_path) for config in (big_store, huge_store)}
    best = dict.fromkeys(warm, float("inf"))
    for _ in range(RUNS):
        for config, copy in warm.items():
            best[config] = min(best[config], _hourly(config, copy))
    big, huge = best[big_store], best[huge_store]
    shutil.copy(warm[huge_store], load_config(huge_store).store_path)
    peak, seconds = _cli_peak(huge_store, ["check"], BIG_NOW)
    print(
        f"\nhourly check after one new hour: 10M {big:.2f} s, 100M {huge:.2f} s, growth "
        f"{huge / big:.2f}x; peak at 100M {peak:.0f} MB in a fresh process ({seconds:.1f} s)"
    )
    assert huge <= GROWTH * big
    assert peak <= PEAK_MB
