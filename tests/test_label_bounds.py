"""Every label join bounded by the prediction times it serves answers exactly what the
unbounded join answers: with labels that came before their predictions (no time until
the prediction arrives), labels whose prediction never came, predictions re-ingested at
another time, late relabelling, and labels not yet known by `now`."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any, Literal

import duckdb
import numpy as np
import polars as pl
import pytest

from tui.core.config.settings import Settings, load_config
from tui.core.ingest.load import ingest_file
from tui.core.store.connection import Store
from tui.core.store.queries import query
from tui.core.store.sqlparts import Fragment, grouping_sets, predictions_table, raw, slice_keys

START = datetime(2026, 11, 1)
DAYS = 6
N = 3000
NOW = START + timedelta(days=DAYS + 5)

CONFIG = """\
store: store.duckdb
models:
  bin:
    task: binary
    positive: "1"
    slices: [seg]
    features:
      amount: {type: numeric, min: 0, max: 1000}
  other:
    task: binary
    positive: "1"
"""

# The label bound as the queries write it: `AND l.pred_ts …` to the end of its line (and a
# line that holds nothing else). Removing it gives the unbounded join, the oracle.
_BOUND = re.compile(r"[ \t]*AND l\.pred_ts[^\n]*")


def _unbounded(text: str) -> str:
    stripped = _BOUND.sub("", text)
    return "\n".join(line for line in stripped.splitlines() if line.strip())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("bounds")
    (folder / "oncall.yaml").write_text(CONFIG)
    settings = load_config(folder / "oncall.yaml")
    st = Store(settings.store_path)
    rng = np.random.default_rng(16)
    ts = [START + timedelta(seconds=int(s)) for s in rng.integers(0, DAYS * 86400, N)]
    ids = [f"p{i}" for i in range(N)]
    score = np.round(rng.random(N), 2)
    preds = pl.DataFrame(
        {
            "prediction_id": ids,
            "ts": ts,
            "prediction": np.where(score >= 0.5, "1", "0"),
            "score": score,
            "seg": rng.choice(["a", "b", "c"], N),
            "amount": np.round(rng.random(N) * 100, 1),
        }
    )
    hours = rng.exponential(30, N)
    labels = pl.DataFrame(
        {
            "prediction_id": ids,
            "label": (rng.random(N) < score).astype(int).astype(str),
            "labeled_at": [t + timedelta(hours=float(h)) for t, h in zip(ts, hours, strict=True)],
        }
    ).filter(pl.Series(rng.random(N) < 0.8))

    def ingest(
        kind: Literal["predictions", "labels"], frame: pl.DataFrame, name: str, model: str = "bin"
    ) -> None:
        frame.write_parquet(folder / f"{name}.parquet")
        ingest_file(st, settings, kind, model, folder / f"{name}.parquet", actor="t", now=NOW)

    # A third of the labels before any prediction, and labels whose prediction never comes.
    early = labels.head(labels.height // 3)
    never = pl.DataFrame(
        {
            "prediction_id": [f"ghost{i}" for i in range(50)],
            "label": ["1"] * 50,
            "labeled_at": [START + timedelta(days=2)] * 50,
        }
    )
    ingest("labels", pl.concat([early, never]), "early")
    # The predictions in two files; the second re-sends 100 of the first at another time.
    first, second = preds.head(N // 2), preds.tail(N - N // 2)
    ingest("predictions", first, "first")
    moved = first.head(100).with_columns(pl.col("ts") + timedelta(days=2, hours=5))
    ingest("predictions", pl.concat([second, moved]), "second")
    # The rest of the labels, and a late relabelling of some early ones.
    ingest("labels", labels.tail(labels.height - early.height), "rest")
    flipped = early.head(200).with_columns(
        label=pl.when(pl.col("label") == "1").then(pl.lit("0")).otherwise(pl.lit("1")),
        labeled_at=pl.col("labeled_at") + timedelta(days=3),
    )
    ingest("labels", flipped, "flipped")
    # Another model's labels of the same ids: a join must keep to its model.
    ingest("labels", labels.head(300), "other", model="other")
    with st.read() as con:
        waiting = con.execute("SELECT count(*) FROM labels WHERE pred_ts IS NULL").fetchall()
        wrong = con.execute(
            "SELECT count(*) FROM labels l JOIN predictions p "
            "ON p.model = l.model AND p.prediction_id = l.prediction_id "
            "WHERE l.pred_ts IS DISTINCT FROM p.ts"
        ).fetchall()
    assert waiting[0][0] == 50 + 300  # the ghosts, and every label of `other`
    assert wrong[0][0] == 0
    final = preds.join(moved.select("prediction_id", new_ts="ts"), on="prediction_id", how="left")
    return settings, final.with_columns(ts=pl.coalesce("new_ts", "ts")).drop("new_ts")


def _rows(
    con: duckdb.DuckDBPyConnection, text: str, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    used = set(re.findall(r"(?<![:$\w])\$([A-Za-z_]\w*)", text))
    rows = con.execute(text, {k: v for k, v in params.items() if k in used} or None).fetchall()
    return sorted(rows, key=lambda r: tuple((x is None, str(x)) for x in r))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _check(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any], **fragments: Fragment
) -> int:
    """Compare the bounded query with its unbounded self; return the rows it gave."""
    text = query(name).sql(**fragments)
    assert "l.pred_ts" in text, f"{name} has no label bound"
    bounded, oracle = _rows(con, text, params), _rows(con, _unbounded(text), params)
    assert _same(bounded, oracle), name
    return len(bounded)


def _windows() -> list[tuple[datetime, datetime]]:
    rng = np.random.default_rng(3)
    out = [
        (START - timedelta(days=1), START + timedelta(days=DAYS + 4)),
        (START + timedelta(days=2), START + timedelta(days=3)),
        (START - timedelta(days=3), START - timedelta(days=2)),
    ]
    for _ in range(5):
        a = START + timedelta(seconds=int(rng.integers(0, DAYS * 86400)))
        out.append((a, a + timedelta(seconds=int(rng.integers(3600, 3 * 86400)))))
    return out


@pytest.mark.parametrize("window", _windows(), ids=str)
@pytest.mark.parametrize("now", [START + timedelta(days=3), NOW], ids=["partial", "all"])
def test_windowed_label_joins_equal_the_unbounded_join(
    store: tuple[Settings, pl.DataFrame], window: tuple[datetime, datetime], now: datetime
) -> None:
    settings, _ = store
    since, until = window
    table = predictions_table("bin")
    common = {
        "model": "bin",
        "since": since,
        "until": until,
        "start": since,
        "end": until,
        "now": now,
        "version": None,
        "step": 6 * 3600.0,
        "origin": START,
        "values": [],
        "bins": 20,
    }
    by = ["seg"]
    with Store(settings.store_path).read() as con:
        seen = _check(
            con,
            "estimates_binary",
            common,
            table=table,
            slice_keys=slice_keys(by),
            grouping_sets=grouping_sets(
                ["w", "p.model_version", "p.prediction", "l.label", "bin"], by
            ),
            filters=raw("true"),
        )
        _check(
            con,
            "estimates_multiclass",
            common,
            table=table,
            slice_keys=slice_keys(by),
            grouping_sets=raw(
                "(w, model_version, prediction, labelled, k, bin), (w, prediction, label), "
                "(w, model_version, prediction, labelled, k, bin, seg), (w, prediction, label, seg)"
            ),
            filters=raw("true"),
            class_scores=raw("[{'k': 0, 's': p.score}, {'k': 1, 's': 1 - p.score}]"),
        )
        _check(
            con,
            "estimates_regression",
            common,
            table=table,
            columns=raw(", p.amount, l.label"),
            filters=raw("true"),
        )
        _check(con, "estimates_reference_stored", common, table=table, columns=raw(", p.seg"))
        _check(con, "estimates_label_days", common, table=table)
        _check(
            con,
            "config_check_traffic",
            common,
            table=table,
            slice_keys=slice_keys(by),
            grouping_sets=grouping_sets(["w"], by),
            value_counts=raw(", count(p.amount) AS nn__amount"),
        )
        _check(
            con,
            "bug_export_slice",
            common,
            table=table,
            columns=raw("p.seg, p.amount, "),
            filters=raw("true"),
        )
    if since < START + timedelta(days=DAYS) and until > START:
        assert seen > 0


def test_bug_export_ids_takes_the_predictions_first_then_their_labels(
    store: tuple[Settings, pl.DataFrame],
) -> None:
    settings, preds = store
    table = predictions_table("bin")
    with Store(settings.store_path).read() as con:
        stored = con.sql(
            "SELECT prediction_id, label, labeled_at FROM labels WHERE model = 'bin'"
        ).pl()
        # Moved, early-labelled, relabelled, unlabelled and unknown ids, far apart in time.
        picks = [
            ["p0", "p1", "p50", "p2999", "p1700", "ghost3", "nothing"],
            ["p7"],
            ["ghost1"],
            [f"p{i}" for i in range(0, N, 37)],
        ]
        for ids in picks:
            text = query("bug_export_ids").sql(table=table, columns=raw("p.seg, "))
            params = {"model": "bin", "ids": ids}
            got = con.execute(text, params).fetchall()
            assert got == con.execute(_unbounded(text), params).fetchall()
            want = (
                preds.filter(pl.col("prediction_id").is_in(ids))
                .join(stored, on="prediction_id", how="left")
                .sort("ts", "prediction_id")
            )
            assert [r[0] for r in got] == want["prediction_id"].to_list()
            assert [r[-2] for r in got] == want["label"].to_list()
            assert [r[-1] for r in got] == want["labeled_at"].to_list()


def test_store_summary_counts_labelled_predictions_as_the_join_does(
    store: tuple[Settings, pl.DataFrame],
) -> None:
    settings, _ = store
    oracle = """
        SELECT p.model, count(*) AS predictions, count(l.prediction_id) AS labeled,
               min(p.ts), max(p.ts),
               string_agg(DISTINCT p.model_version, ', ' ORDER BY p.model_version)
        FROM predictions p
        LEFT JOIN labels l ON l.model = p.model AND l.prediction_id = p.prediction_id
        GROUP BY p.model ORDER BY p.model
    """
    with Store(settings.store_path).read() as con:
        got = con.execute(query("summary_models").sql()).fetchall()
        want = con.execute(oracle).fetchall()
    assert got == want
    assert got[0][0] == "bin" and got[0][1] == N and 0 < got[0][2] < N


def test_the_oracle_really_drops_every_bound() -> None:
    text = query("bug_export_ids").sql(table=predictions_table("bin"), columns=raw(""))
    assert "pred_ts" in text and "pred_ts" not in _unbounded(text)
    assert "pred_ts" not in _unbounded(
        query("estimates_multiclass").sql(
            table=predictions_table("bin"),
            slice_keys=raw(""),
            grouping_sets=raw("(w)"),
            filters=raw("true"),
            class_scores=raw("[]"),
        )
    )
