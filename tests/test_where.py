"""A structured `--where`: parsed by the project, every value bound, the same answer as
filtering the rows independently (polars), nulls and types handled, bad input named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.helpers import churn_frame, cli, write_config
from tui.core.config.settings import load_config
from tui.core.errors import UsageError
from tui.core.store.filters import Filter, filter_sql, parse_filters

NOW = "2026-11-21T00:00"


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, pl.DataFrame]:
    write_config(tmp_path)
    frame = churn_frame(400).with_columns(
        # Nulls in a numeric feature and in a slice, ties, a value with a space.
        spend=pl.when(pl.int_range(400) % 7 == 0).then(None).otherwise(pl.col("spend")),
        segment=pl.when(pl.int_range(400) % 11 == 0)
        .then(None)
        .when(pl.int_range(400) % 5 == 0)
        .then(pl.lit("big co"))
        .otherwise(pl.col("segment")),
    )
    frame.write_parquet(tmp_path / "p.parquet")
    done = cli(
        capsys,
        "--config",
        tmp_path / "oncall.yaml",
        "ingest",
        "predictions",
        tmp_path / "p.parquet",
        "--model",
        "churn",
        "--as",
        "alice",
    )
    assert done.code == 0, done.err
    return tmp_path / "oncall.yaml", frame


def _ids(capsys: pytest.CaptureFixture[str], config: Path, *where: str) -> set[str]:
    args: list[str | Path] = ["--config", config, "--now", NOW, "examples", "--model", "churn"]
    for w in where:
        args += ["--where", w]
    out = cli(capsys, *args, "--since", "2026-11-19", "--limit", "1000", "--json")
    assert out.code == 0, out.err
    page: Any = out.json()
    rows = page["rows"] if isinstance(page, dict) else page
    return {str(r["prediction_id"]) for r in rows}


CASES = [
    ("spend>300", pl.col("spend") > 300),
    ("spend >= 300 and spend<350", (pl.col("spend") >= 300) & (pl.col("spend") < 350)),
    ("spend<=3", pl.col("spend") <= 3),
    ("spend=10", pl.col("spend") == 10),
    ("spend is null", pl.col("spend").is_null()),
    ("spend is not null", pl.col("spend").is_not_null()),
    ("segment=ent", pl.col("segment") == "ent"),
    ("segment != ent", (pl.col("segment") != "ent") | pl.col("segment").is_null()),
    ("segment in (ent, smb)", pl.col("segment").is_in(["ent", "smb"])),
    ("segment='big co'", pl.col("segment") == "big co"),
    (
        'segment in ("big co", mid) and plan=a',
        pl.col("segment").is_in(["big co", "mid"]) & (pl.col("plan") == "a"),
    ),
    ("segment is null and spend > 100", pl.col("segment").is_null() & (pl.col("spend") > 100)),
    ("spend in (1, 2, 3.0)", pl.col("spend").is_in([1.0, 2.0, 3.0])),
]


@pytest.mark.parametrize(("where", "oracle"), CASES, ids=[c[0] for c in CASES])
def test_every_operator_selects_what_an_independent_filter_selects(
    store: tuple[Path, pl.DataFrame],
    capsys: pytest.CaptureFixture[str],
    where: str,
    oracle: pl.Expr,
) -> None:
    config, frame = store
    expected = set(frame.filter(oracle)["prediction_id"].to_list())
    assert expected, "each case selects some rows"
    assert _ids(capsys, config, where) == expected


def test_several_wheres_are_and_ed(
    store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    config, frame = store
    expected = set(
        frame.filter((pl.col("spend") > 200) & (pl.col("plan") == "b"))["prediction_id"].to_list()
    )
    assert _ids(capsys, config, "spend>200", "plan=b") == expected


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("contry=US", "no column 'contry' in model churn's predictions; known:"),
        ("plan>a", "compares numbers, and 'plan' is not a numeric feature"),
        ("spend>lots", "'spend' is numeric, 'lots' is not a number"),
        ("spend ~ 3", "cannot read the filter"),
        ("segment in (ent", "cannot read the"),
        ("segment in ()", "cannot read the"),
        ("and plan=a", "an `and` with nothing on one side"),
        ("spend is maybe null", "cannot read the filter"),
        ("'; DROP TABLE labels; --", "cannot read the filter"),
    ],
)
def test_a_filter_that_cannot_be_read_is_named_and_exits_2(
    store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str], where: str, said: str
) -> None:
    config, _ = store
    out = cli(
        capsys, "--config", config, "--now", NOW, "examples", "--model", "churn", "--where", where
    )
    assert out.code == 2, out.err
    assert said in out.err, out.err
    assert "Traceback" not in out.err and "Error:" not in out.err.split(":", 1)[0]


def test_values_are_bound_never_written_into_the_sql(tmp_path: Path) -> None:
    model = load_config(write_config(tmp_path)).model("churn")
    hostile = "x' OR '1'='1"
    filters = parse_filters("churn", model, [f'segment="{hostile}"', "spend in (1, 2)"])
    assert filters[0] == Filter("segment", hostile, "=", (hostile,))
    sql, values = filter_sql(filters, model)
    assert hostile not in sql.sql and values == [hostile, "1", "2"]
    assert "$values[1]" in sql.sql and "IN (TRY_CAST($values[2] AS DOUBLE)" in sql.sql
    with pytest.raises(UsageError):
        parse_filters("churn", model, ["spend>nan"])
    assert json.dumps([f.text for f in filters]) == json.dumps(
        [f"segment={hostile}", "spend in (1, 2)"]
    )


def test_examples_show_every_feature_and_pipe_in_any_format(
    store: tuple[Path, pl.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    config, frame = store
    base: list[str | Path] = ["--config", config, "--now", NOW, "examples", "--model", "churn"]
    base += ["--since", "2026-11-19", "--where", "spend is null", "--limit", "1000"]
    table = cli(capsys, *base)
    assert table.code == 0, table.err
    head = table.out.splitlines()[0].split()
    assert head[:2] == ["prediction_id", "ts"]
    assert {"segment", "spend", "plan", "pred", "score", "label", "labeled"} <= set(head)
    nulls = frame.filter(pl.col("spend").is_null())
    rows = list(csv.reader(io.StringIO(cli(capsys, *base, "--format", "csv").out)))
    assert [r[0] for r in rows[1:]] == sorted(nulls["prediction_id"].to_list(), key=_order(frame))
    spend = rows[0].index("spend")
    assert {r[spend] for r in rows[1:]} == {"—"}
    as_json = cli(capsys, *base, "--format", "json").json()
    assert [r["prediction_id"] for r in as_json["rows"]] == [r[0] for r in rows[1:]]


def _order(frame: pl.DataFrame) -> Any:
    """The examples' order: by time, then id."""
    ts = dict(zip(frame["prediction_id"].to_list(), frame["ts"].to_list(), strict=True))
    return lambda pid: (ts[pid], pid)
