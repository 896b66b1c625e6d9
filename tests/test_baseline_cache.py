"""The baseline cache: a start/end window redone when rows arrive late in it, and cache
keys of model versions that no other version's keys can start with."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.helpers import cli
from tests.test_baseline import DAY, START, _check, _edges_oracle, _frame, _world
from tui.core.checks.baseline import load_baseline, version_prefix
from tui.core.config.settings import Settings
from tui.core.store.connection import Store

# A date end takes its whole day: the window is 1 November.
WINDOW = f"{{start: '{START:%Y-%m-%d}', end: '{START:%Y-%m-%d}'}}"


def _baseline_x(settings: Settings, now: datetime) -> tuple[int, tuple[float, ...]]:
    with Store(settings.store_path).write() as con:
        found = load_baseline(con, settings, "m", settings.model("m"), START, now)
    hist = found.histograms["x"]
    return hist.total, tuple(hist.edges or ())


def test_late_rows_in_a_passed_baseline_window_redo_its_bins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(31)
    first = _frame(48, rng)
    settings = _world(tmp_path, capsys, WINDOW, first)
    _check(capsys, settings, START + 2 * DAY)  # the window has passed: its bins cached
    total, _ = _baseline_x(settings, START + 2 * DAY)
    assert total == first.filter(pl.col("ts") < START + DAY).height
    # Rows of the window's hours 3 to 9 arrive a day late, from another source.
    late = _frame(6, rng, start=START + 3 * (DAY / 24), shift=4.0, prefix="late")
    path = tmp_path / "late.parquet"
    late.write_parquet(path)
    done = cli(capsys, "--config", settings.path, "ingest", "predictions", path, "-m", "m")
    assert done.code == 0, done.err
    _check(capsys, settings, START + 3 * DAY)
    in_window = pl.concat([first, late]).filter(pl.col("ts") < START + DAY)["x"].to_numpy()
    total, edges = _baseline_x(settings, START + 3 * DAY)
    assert total == len(in_window)
    assert np.allclose(edges, _edges_oracle(in_window, 10))
    # Unchanged since: the cached bins serve (one key, not one per check).
    _check(capsys, settings, START + 3 * DAY + DAY / 2)
    assert _baseline_x(settings, START + 3 * DAY)[0] == len(in_window)


@pytest.mark.parametrize(
    ("one", "other"),
    [("v1", "v1:2026"), ("v1", "v1/2026"), ("a:b", "a:b:c"), ("a%3Ab", "a:b"), ("", ":")],
)
def test_no_versions_cache_keys_start_with_another_versions_prefix(one: str, other: str) -> None:
    # A key is the prefix, then the window ("2026-11-01T00/2026-11-08T00").
    key_of_other = f"{version_prefix(other)}2026-11-01T00/2026-11-08T00/10"
    key_of_one = f"{version_prefix(one)}2026-11-01T00/2026-11-08T00/10"
    assert not key_of_other.startswith(version_prefix(one))
    assert not key_of_one.startswith(version_prefix(other))
    # Plain names keep the keys stores already hold.
    assert version_prefix("v3") == "version:v3:"
    assert version_prefix("2026-11.1_b") == "version:2026-11.1_b:"
