"""Windows split into whole days (rollups) and ragged edges (raw rows) give exactly what
raw rows give over the same window; labels carry their prediction's time, whichever
arrives first, and every label join bounded by it stays correct."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tui.core.config.settings import Settings, load_config
from tui.core.ingest.load import ingest_file
from tui.core.ingest.rollups import refresh
from tui.core.slices.examples import examples_page
from tui.core.slices.explore import slice_metrics, worst_slices
from tui.core.slices.labels import label_delay
from tui.core.slices.outcomes import edges, whole_days
from tui.core.slices.request import Request
from tui.core.store.connection import Store

START = datetime(2026, 11, 1)
DAYS = 10
NOW = START + timedelta(days=40)  # every label known: rollups may answer

CONFIG = """\
store: store.duckdb
models:
  bin:
    task: binary
    positive: "1"
    slices: [seg, region]
    labels: {expected_delay: 2d}
  reg:
    task: regression
    slices: [seg]
    labels: {expected_delay: 52110m}  # overdue splits day 3 at 19:30
  mono:
    task: binary
    positive: "1"
    slices: [seg]
  bare:
    task: binary
    positive: "1"
    slices: [seg]
"""


def _frames(model: str, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = 4000
    ts = [START + timedelta(microseconds=int(s)) for s in rng.integers(0, DAYS * 86_400_000_000, n)]
    # Some rows exactly on midnight: they belong to the day they open.
    ts[:20] = [START + timedelta(days=int(d)) for d in rng.integers(0, DAYS, 20)]
    # An hour of unlabelled rows, a minute apart, around the reg model's overdue cutoff.
    ts[30:90] = [START + timedelta(days=3, hours=19, minutes=k) for k in range(60)]
    seg = rng.choice(["s1", "s2", "s3"], n)
    ids = [f"{model}-{i}" for i in range(n)]
    score = np.round(rng.random(n), 2)
    if model == "reg":
        y_val = rng.normal(30, 5, n)
        preds = pl.DataFrame(
            {
                "prediction_id": ids,
                "ts": ts,
                "prediction": np.round(y_val + rng.normal(0.5, 3, n), 3).astype(str),
                "seg": seg,
            }
        )
        y = np.round(y_val, 3).astype(str)
    else:
        preds = pl.DataFrame(
            {
                "prediction_id": ids,
                "ts": ts,
                "prediction": np.where(score >= 0.5, "1", "0"),
                "score": score,
                "seg": seg,
                "region": rng.choice(["r1", "r2"], n),
            }
        )
        y = (rng.random(n) < score).astype(int).astype(str)
        if model == "mono":
            y = np.full(n, "1")  # a single class among the labels
    hours = rng.exponential(40, n)
    hours[:30] = 0.0  # labelled at the very moment of the prediction
    labeled_at = [t + timedelta(hours=float(h)) for t, h in zip(ts, hours, strict=True)]
    labels = pl.DataFrame({"prediction_id": ids, "label": y, "labeled_at": labeled_at})
    keep = rng.random(n) < 0.8
    keep[30:90] = False
    return preds, labels.filter(pl.Series(keep))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("split")
    (folder / "oncall.yaml").write_text(CONFIG)
    settings = load_config(folder / "oncall.yaml")
    st = Store(settings.store_path)
    rng = np.random.default_rng(5)
    frames = {}
    for model in ("bin", "reg", "mono", "bare"):
        preds, labels = _frames(model, rng)
        frames[model] = (preds, labels)
        preds.write_parquet(folder / f"{model}.parquet")
        labels.write_parquet(folder / f"{model}-labels.parquet")
        if model == "bin":
            # Half the labels come before their predictions: they wait without a time.
            first = labels.head(labels.height // 2)
            first.write_parquet(folder / "early.parquet")
            ingest_file(st, settings, "labels", model, folder / "early.parquet", actor="t", now=NOW)
            with st.read() as con:
                waiting = con.execute(
                    "SELECT count(*) FROM labels WHERE model = 'bin' AND pred_ts IS NULL"
                ).fetchall()[0][0]
            assert waiting == first.height
        ingest_file(
            st, settings, "predictions", model, folder / f"{model}.parquet", actor="t", now=NOW
        )
        if model != "bare":  # a model whose labels are all missing
            ingest_file(
                st,
                settings,
                "labels",
                model,
                folder / f"{model}-labels.parquet",
                actor="t",
                now=NOW,
            )
        refresh(st, settings, model)
    return settings, frames


def _times_agree(st: Store) -> int:
    """Labels whose stored time differs from their prediction's (must be none)."""
    with st.read() as con:
        return int(
            con.execute(
                "SELECT count(*) FROM labels l JOIN predictions p "
                "ON p.model = l.model AND p.prediction_id = l.prediction_id "
                "WHERE l.pred_ts IS DISTINCT FROM p.ts"
            ).fetchall()[0][0]
        )


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 (sums in another order round differently)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _windows(rng: np.random.Generator, k: int) -> list[tuple[datetime, datetime]]:
    out = [
        (START, START + timedelta(days=DAYS)),  # whole days only
        (START + timedelta(hours=5), START + timedelta(hours=20)),  # inside one day
        (START - timedelta(days=3), START - timedelta(days=1)),  # empty
        (START + timedelta(days=2, hours=7), START + timedelta(days=2, hours=7)),  # zero width
    ]
    for _ in range(k):
        a = START + timedelta(seconds=int(rng.integers(-86400, DAYS * 86400)))
        b = a + timedelta(seconds=int(rng.integers(1, 8 * 86400)))
        out.append((a, b))
    return out


def test_whole_days_and_edges_cover_the_window_once() -> None:
    rng = np.random.default_rng(1)
    for a, b in _windows(rng, 200):
        days = whole_days(a, b)
        parts = edges(a, b, days)
        pieces = sorted([*parts, *([days] if days else [])])
        if a < b:
            assert pieces[0][0] == a and pieces[-1][1] == b
            assert all(x[1] == y[0] for x, y in itertools.pairwise(pieces))
        else:
            assert pieces == []
        if days:
            assert days[0].time() == days[1].time() == datetime.min.time()
            assert all(q - p < timedelta(days=1) for p, q in parts)


@pytest.mark.parametrize("model", ["bin", "reg", "mono", "bare"])
def test_split_windows_equal_raw_rows(store: tuple[Settings, dict[str, Any]], model: str) -> None:
    settings, _ = store
    spec = settings.model(model)
    st = Store(settings.store_path)
    rng = np.random.default_rng(hash(model) % 1000)
    sources = set()
    overdue: set[int] = set()
    with st.read() as con:
        for a, b in _windows(rng, 12):
            req = Request(model, spec, a, b, NOW)
            for by in ([], ["seg"], ["seg", "model_version"]):
                split, source = slice_metrics(con, req, by)
                plain, raw_source = slice_metrics(con, req, by, prefer_rollups=False)
                assert raw_source == "raw"
                sources.add(source)
                assert _same([r.to_json() for r in split], [r.to_json() for r in plain]), (a, b)
            if spec.task == "binary":
                w1, s1, _ = worst_slices(con, req, min_support=5)
                w2, s2, _ = worst_slices(con, req, min_support=5, prefer_rollups=False)
                assert _same([w.to_json() for w in w1], [w.to_json() for w in w2])
                assert s1 == s2
            for by_ in (None, "seg"):
                d1 = label_delay(con, req, by_)
                d2 = label_delay(con, req, by_, prefer_rollups=False)
                assert d1.to_json() == d2.to_json(), (a, b, by_)
                overdue.update(d.overdue for d in d1.days)
    # Each path was taken: whole days alone, ragged edges with days, raw alone.
    assert {"rollups", "rollups+raw", "raw"} <= sources
    if model == "reg":  # some days wholly overdue, some not at all
        assert 0 in overdue and len(overdue) > 2


def test_label_delay_matches_plain_python(store: tuple[Settings, dict[str, Any]]) -> None:
    settings, frames = store
    spec = settings.model("bin")
    preds, labels = frames["bin"]
    now = START + timedelta(days=DAYS + 1, hours=3)
    since, until = START + timedelta(days=1, hours=9), START + timedelta(days=8, hours=2)
    joined = preds.join(labels, on="prediction_id", how="left").filter(
        (pl.col("ts") >= since) & (pl.col("ts") < until)
    )
    st = Store(settings.store_path)
    with st.read() as con:
        report = label_delay(con, Request("bin", spec, since, until, now))
    cutoff = now - timedelta(days=2)
    for day in report.days:
        part = joined.filter(pl.col("ts").dt.truncate("1d") == day.day)
        known = part.filter(pl.col("labeled_at") <= now)
        delays = ((known["labeled_at"] - known["ts"]).dt.total_microseconds() / 3.6e9).to_numpy()
        assert day.n == part.height
        assert day.labeled_now == pytest.approx(known.height / part.height)
        unlabeled = part.filter(pl.col("labeled_at").is_null() | (pl.col("labeled_at") > now))
        assert day.overdue == unlabeled.filter(pl.col("ts") <= cutoff).height
        for h, frac in day.within.items():
            if frac is not None:
                assert frac == pytest.approx(float((delays <= 24 * h).sum()) / part.height)
        for q, got in ((0.5, day.p50_hours), (0.9, day.p90_hours)):
            true = float(np.quantile(delays, q, method="inverted_cdf"))
            assert got == pytest.approx(true, rel=0.02, abs=1e-9)
    assert sum(d.n for d in report.days) == joined.height


def test_late_relabelling_after_rollups_were_built(
    store: tuple[Settings, dict[str, Any]], tmp_path: Path
) -> None:
    settings, frames = store
    spec = settings.model("reg")
    _, labels = frames["reg"]
    st = Store(settings.store_path)
    req = Request("reg", spec, START + timedelta(hours=13), START + timedelta(days=6, hours=1), NOW)
    with st.read() as con:
        before, source = slice_metrics(con, req, ["seg"])
    assert source == "rollups+raw"
    # Relabel the first days' rows later: their rollup days go stale, then are rebuilt.
    later = labels.head(800).with_columns(
        label=(pl.col("label").cast(pl.Float64) + 7).round(3).cast(pl.Utf8),
        labeled_at=pl.lit(NOW - timedelta(days=1)),
    )
    later.write_parquet(tmp_path / "later.parquet")
    ingest_file(st, settings, "labels", "reg", tmp_path / "later.parquet", actor="t", now=NOW)
    assert refresh(st, settings, "reg") > 0
    with st.read() as con:
        after, source = slice_metrics(con, req, ["seg"])
        plain, _ = slice_metrics(con, req, ["seg"], prefer_rollups=False)
        delay = label_delay(con, req, "seg")
        delay_raw = label_delay(con, req, "seg", prefer_rollups=False)
    assert source == "rollups+raw"
    assert _same([r.to_json() for r in after], [r.to_json() for r in plain])
    assert not _same([r.to_json() for r in after], [r.to_json() for r in before])
    assert delay.to_json() == delay_raw.to_json()
    assert _times_agree(st) == 0


def test_labels_before_predictions_get_their_time_and_follow_a_moved_prediction(
    store: tuple[Settings, dict[str, Any]], tmp_path: Path
) -> None:
    settings, frames = store
    st = Store(settings.store_path)
    assert _times_agree(st) == 0
    with st.read() as con:
        waiting = con.execute("SELECT count(*) FROM labels WHERE pred_ts IS NULL").fetchall()
    assert waiting[0][0] == 0
    # A prediction re-ingested at another time: its label moves with it, and the
    # examples and slices of the new day see the label.
    preds, labels = frames["mono"]
    pid = labels["prediction_id"][0]
    moved = preds.filter(pl.col("prediction_id") == pid).with_columns(
        ts=pl.lit(START + timedelta(days=DAYS - 1, hours=23, minutes=59))
    )
    moved.write_parquet(tmp_path / "moved.parquet")
    ingest_file(st, settings, "predictions", "mono", tmp_path / "moved.parquet", actor="t", now=NOW)
    assert _times_agree(st) == 0
    spec = settings.model("mono")
    req = Request("mono", spec, START + timedelta(days=DAYS - 1, hours=23, minutes=58), NOW, NOW)
    with st.read() as con:
        page = examples_page(con, req, limit=10)
    row = next(r for r in page.rows if r["prediction_id"] == pid)
    assert row["label"] == "1"


def test_examples_page_first_then_labels_equals_the_joined_page(
    store: tuple[Settings, dict[str, Any]],
) -> None:
    settings, frames = store
    spec = settings.model("bin")
    preds, labels = frames["bin"]
    st = Store(settings.store_path)
    since, until = START + timedelta(days=2, hours=3), START + timedelta(days=3)
    now = START + timedelta(days=3, hours=12)
    expected = (
        preds.filter((pl.col("ts") >= since) & (pl.col("ts") < until))
        .join(labels.filter(pl.col("labeled_at") <= now), on="prediction_id", how="left")
        .sort("ts", "prediction_id")
    )
    got: list[dict[str, Any]] = []
    key = None
    with st.read() as con:
        while True:
            page = examples_page(con, Request("bin", spec, since, until, now), limit=97, after=key)
            got += page.rows
            key = page.next
            if key is None:
                break
    assert [r["prediction_id"] for r in got] == expected["prediction_id"].to_list()
    assert [r["label"] for r in got] == expected["label"].to_list()
    assert [r["correct"] for r in got] == [
        None if y is None else p == y
        for p, y in zip(expected["prediction"], expected["label"], strict=True)
    ]


def test_the_migration_backfills_each_labels_prediction_time(tmp_path: Path) -> None:
    (tmp_path / "oncall.yaml").write_text(CONFIG)
    settings = load_config(tmp_path / "oncall.yaml")
    st = Store(settings.store_path)
    preds, labels = _frames("bin", np.random.default_rng(3))
    preds.write_parquet(tmp_path / "p.parquet")
    labels.write_parquet(tmp_path / "l.parquet")
    ingest_file(st, settings, "predictions", "bin", tmp_path / "p.parquet", actor="t", now=NOW)
    ingest_file(st, settings, "labels", "bin", tmp_path / "l.parquet", actor="t", now=NOW)
    # Back to a store from before migration 011: no column, version 10 (and without the
    # tables of 012, which runs again after it).
    with st.write() as con:
        con.execute("ALTER TABLE labels DROP COLUMN pred_ts")
        con.execute("DROP TABLE lake_files")
        con.execute("DROP TABLE lake_state")
        con.execute("DELETE FROM schema_migrations WHERE version >= 11")
    del st
    st = Store(settings.store_path)
    assert _times_agree(st) == 0
    with st.read() as con:
        assert con.execute("SELECT count(pred_ts) FROM labels").fetchall()[0][0] == labels.height


def test_the_vectorised_f1_bootstrap_equals_the_one_draw_at_a_time() -> None:
    from tui.core.slices.metrics import f1_from
    from tui.core.slices.outcomes import _bootstrap, _f1_draws

    rng = np.random.default_rng(2)
    cases = [[0, 0, 5, 0], [1, 0, 0, 0], [0, 3, 2, 1], [0, 0, 0, 0]]
    cases += [[int(x) for x in rng.integers(0, 50, 4)] for _ in range(30)]
    for cells in cases:
        one = _bootstrap(cells, lambda d: f1_from(d[0], d[1], d[3]))
        assert _bootstrap(cells, None, vector=_f1_draws) == one, cells
