"""Worst slices count only the deepest grouping sets in the store and sum the shallower
ones from them: the groups (and the worst slices) equal those of counting every set."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.test_window_split import START, _same, store  # noqa: F401 (the fixture)
from tui.core.config.settings import Settings, load_config
from tui.core.ingest.load import ingest_file
from tui.core.ingest.rollups import refresh
from tui.core.slices import explore
from tui.core.slices.explore import _roll_up, worst_slices
from tui.core.slices.outcomes import outcome_counts
from tui.core.slices.request import Request
from tui.core.store.connection import Store


def _as_dict(c: Any) -> dict[str, Any]:
    return {
        "n": c.n,
        "labeled": c.labeled,
        "pairs": dict(c.pairs),
        "bins": dict(c.bins),
        "bin_scores": dict(c.bin_scores),
        "pred_scores": dict(c.pred_scores),
        "pred_rows": dict(c.pred_rows),
        "err": [c.abs_err, c.sq_err, c.err, c.quad_err],
    }


@pytest.mark.parametrize("model", ["bin", "reg"])
@pytest.mark.parametrize("rollups", [True, False])
def test_summed_sets_equal_counted_sets(
    store: tuple[Settings, dict[str, Any]],  # noqa: F811
    model: str,
    rollups: bool,
) -> None:
    settings, _ = store
    spec = settings.model(model)
    columns = list(spec.slices)
    sets = [[], *([c] for c in columns), columns] if len(columns) > 1 else [[], columns]
    deepest = [s for s in sets if not any(set(s) < set(t) for t in sets)]
    req = Request(
        model,
        spec,
        START + timedelta(hours=7),
        START + timedelta(days=5, hours=3),
        START + timedelta(days=40),
    )
    with Store(settings.store_path).read() as con:
        for bins in (False, True):
            every, _ = outcome_counts(con, req, sets, rollups, score_bins=bins)
            few, _ = outcome_counts(con, req, deepest, rollups, score_bins=bins)
            summed = _roll_up(few, sets, deepest)
            assert summed.keys() == every.keys()
            for key in every:
                assert _same(_as_dict(summed[key]), _as_dict(every[key])), key


PLANTED = """\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    slices: [a, b, c]
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Three slice columns; predictions right 90% of the time, but only 55% where a=x
    and b=u, and 75% where c=w: worse slices at depth 1 and 2."""
    folder = tmp_path_factory.mktemp("planted")
    (folder / "oncall.yaml").write_text(PLANTED)
    settings = load_config(folder / "oncall.yaml")
    st = Store(settings.store_path)
    rng = np.random.default_rng(11)
    n = 8000
    a, b, c = rng.choice(["x", "y"], n), rng.choice(["u", "v", "t"], n), rng.choice(["w", "z"], n)
    pred = rng.choice(["0", "1"], n)
    right = np.where((a == "x") & (b == "u"), 0.55, np.where(c == "w", 0.75, 0.9))
    label = np.where(rng.random(n) < right, pred, np.where(pred == "1", "0", "1"))
    ts = [START + timedelta(minutes=int(m)) for m in rng.integers(0, 6 * 1440, n)]
    ids = [f"q{i}" for i in range(n)]
    frame = pl.DataFrame(
        {"prediction_id": ids, "ts": ts, "prediction": pred, "a": a, "b": b, "c": c}
    )
    frame = frame.with_columns(score=pl.when(pl.col("prediction") == "1").then(0.8).otherwise(0.2))
    frame.write_parquet(folder / "p.parquet")
    pl.DataFrame({"prediction_id": ids, "label": label, "labeled_at": ts}).write_parquet(
        folder / "l.parquet"
    )
    now = START + timedelta(days=30)
    ingest_file(st, settings, "predictions", "m", folder / "p.parquet", actor="t", now=now)
    ingest_file(st, settings, "labels", "m", folder / "l.parquet", actor="t", now=now)
    refresh(st, settings, "m")
    return settings


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_worst_slices_equal_those_of_every_set_counted(
    planted: Settings, monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    spec = planted.model("m")
    req = Request(
        "m",
        spec,
        START + timedelta(hours=5),
        START + timedelta(days=5, hours=2),
        START + timedelta(days=30),
    )
    metrics = ["f1", "accuracy", "precision", "recall", "auc"]
    with Store(planted.store_path).read() as con:
        got = [worst_slices(con, req, m, max_depth=depth)[:2] for m in metrics]
        # Counting every set in the store: nothing left to sum.
        monkeypatch.setattr(explore, "_roll_up", lambda fetched, sets, deepest: fetched)
        real = outcome_counts
        every: list[list[str]] = [[]]
        for k in range(1, depth + 1):
            every += [list(s) for s in itertools.combinations(spec.slices, k)]
        monkeypatch.setattr(
            explore,
            "outcome_counts",
            lambda con, req, deepest, *a, **k: real(con, req, every, *a, **k),
        )
        want = [worst_slices(con, req, m, max_depth=depth)[:2] for m in metrics]
    assert all(rows for rows, _ in got), "the planted slices are found"
    for (rows, summary), (want_rows, want_summary) in zip(got, want, strict=True):
        assert _same([r.to_json() for r in rows], [r.to_json() for r in want_rows])
        assert _same(summary.to_json(), want_summary.to_json())
