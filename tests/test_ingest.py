"""Ingest: all rows or none, the same rows twice change nothing, bad input named exactly."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import churn_frame, cli, count
from tui.core.errors import InputError
from tui.core.ingest.files import detect_format

DB = "store.duckdb"


def _rows(project: Path, table: str = "predictions") -> int:
    db = project / DB
    return count(db, f"SELECT count(*) FROM {table}") if db.exists() else 0  # noqa: S608


def _ingest(capsys: pytest.CaptureFixture[str], kind: str, path: Path, *extra: str) -> object:
    return cli(capsys, "ingest", kind, path, "--model", "churn", *extra)


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_each_format_is_ingested_whole(
    project: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    frame = churn_frame(300)
    path = project / f"p.{suffix}"
    if suffix == "parquet":
        frame.write_parquet(path)
    elif suffix == "csv":
        frame.write_csv(path)
    else:
        frame.write_ndjson(path)
    result = cli(capsys, "ingest", "predictions", path, "--model", "churn", "--json")
    assert result.code == 0, result.err
    summary = result.json()[0]
    assert summary["rows"] == 300
    assert summary["added"] == 300
    assert _rows(project) == 300
    db = project / DB
    assert count(db, "SELECT count(*) FROM predictions WHERE spend IS NULL") == 0
    assert count(db, "SELECT count(DISTINCT segment) FROM predictions") == 3
    assert count(db, "SELECT count(*) FROM predictions WHERE model_version = 'unknown'") == 300


def test_ingesting_the_same_rows_again_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = project / "a.parquet"
    churn_frame(200).write_parquet(first)
    assert cli(capsys, "ingest", "predictions", first, "--model", "churn").code == 0
    again = cli(capsys, "ingest", "predictions", first, "--model", "churn", "--json").json()[0]
    assert again["already_ingested"] is True
    assert again["added"] == 0
    # The same rows in a different file (CSV) are recognised row by row.
    second = project / "b.csv"
    churn_frame(200).write_csv(second)
    result = cli(capsys, "ingest", "predictions", second, "--model", "churn", "--json").json()[0]
    assert (result["added"], result["replaced"], result["unchanged"]) == (0, 0, 200)
    forced = cli(capsys, "ingest", "predictions", first, "--model", "churn", "--force", "--json")
    assert forced.json()[0]["unchanged"] == 200
    assert _rows(project) == 200
    # Overlapping files add only what is new.
    third = project / "c.parquet"
    churn_frame(300, start_id=100).write_parquet(third)
    result = cli(capsys, "ingest", "predictions", third, "--model", "churn", "--json").json()[0]
    assert (result["added"], result["unchanged"]) == (200, 100)
    assert _rows(project) == 400


def test_a_changed_prediction_replaces_the_stored_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "a.parquet"
    churn_frame(10).write_parquet(path)
    cli(capsys, "ingest", "predictions", path, "--model", "churn")
    changed = churn_frame(10).with_columns(
        pl.when(pl.col("prediction_id") == "p3")
        .then(0.99)
        .otherwise(pl.col("score"))
        .alias("score")
    )
    path2 = project / "b.parquet"
    changed.write_parquet(path2)
    result = cli(capsys, "ingest", "predictions", path2, "--model", "churn", "--json").json()[0]
    assert (result["added"], result["replaced"], result["unchanged"]) == (0, 1, 9)
    assert count(project / DB, "SELECT count(*) FROM predictions WHERE score = 0.99") == 1
    assert _rows(project) == 10


def test_later_labels_replace_earlier_ones_and_history_keeps_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = project / "a.csv"
    a.write_text(
        "prediction_id,label,labeled_at\np1,yes,2026-11-21T00:00:00Z\np2,no,2026-11-21T00:00:00Z\n"
    )
    assert cli(capsys, "ingest", "labels", a, "--model", "churn").code == 0
    b = project / "b.csv"
    b.write_text(
        "prediction_id,label,labeled_at\np1,no,2026-11-22T00:00:00Z\np2,no,2026-11-22T00:00:00Z\np3,yes,2026-11-22T00:00:00Z\n"
    )
    result = cli(capsys, "ingest", "labels", b, "--model", "churn", "--json").json()[0]
    assert (result["added"], result["replaced"], result["unchanged"]) == (1, 1, 1)
    # An older label never overwrites a newer one.
    c = project / "c.csv"
    c.write_text("prediction_id,label,labeled_at\np1,yes,2026-11-20T00:00:00Z\n")
    result = cli(capsys, "ingest", "labels", c, "--model", "churn", "--json").json()[0]
    assert (result["added"], result["replaced"], result["unchanged"]) == (0, 0, 1)
    db = project / DB
    assert count(db, "SELECT count(*) FROM labels WHERE prediction_id = 'p1' AND label = 'no'") == 1
    assert (
        count(
            db,
            "SELECT count(*) FROM label_history WHERE prediction_id = 'p1' AND old_label = 'yes'",
        )
        == 1
    )
    assert count(db, "SELECT count(*) FROM labels") == 3


def test_labels_may_arrive_before_their_predictions(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = project / "a.jsonl"
    a.write_text(json.dumps({"prediction_id": "p0", "label": "yes"}) + "\n")
    assert (
        cli(capsys, "--now", "2026-11-25T10:00", "ingest", "labels", a, "--model", "churn").code
        == 0
    )
    assert (
        count(
            project / DB,
            "SELECT count(*) FROM labels WHERE labeled_at = TIMESTAMP '2026-11-25 10:00'",
        )
        == 1
    )


def test_schema_findings_do_not_block_the_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = churn_frame(20).drop("plan").with_columns(pl.lit("x").alias("surprise"))
    path = project / "a.parquet"
    frame.write_parquet(path)
    result = cli(capsys, "ingest", "predictions", path, "--model", "churn", "--json")
    assert result.code == 0, result.err
    findings = {(f["column"], f["finding"]) for f in result.json()[0]["schema_findings"]}
    assert findings == {("plan", "missing"), ("surprise", "unexpected")}
    assert count(project / DB, "SELECT count(*) FROM schema_findings") == 2
    assert _rows(project) == 20


HEADER = "prediction_id,ts,prediction,score,segment,spend,plan\n"
GOOD = "p1,2026-11-20T10:00:00Z,yes,0.9,smb,10,a\n"
JSON_ROW = (
    '{"prediction_id": "p1", "ts": "2026-11-20T10:00:00Z", "prediction": "yes", "score": 0.5}\n'
)

BAD_FILES = [
    # (name, content, expected message parts)
    (
        "cast.csv",
        HEADER + GOOD + "p2,2026-11-20T10:00:00Z,no,0.1,smb,lots,a\n",
        ["line 3", "column 'spend'", "expected a number", "'lots'"],
    ),
    (
        # A value that looks like Rich markup is quoted as it is, not read as markup.
        "markup.csv",
        HEADER + GOOD + "p2,2026-11-20T10:00:00Z,no,0.1,smb,[/x] [bold],a\n",
        ["line 3", "column 'spend'", "expected a number", "'[/x] [bold]'"],
    ),
    (
        "ragged.csv",
        HEADER + GOOD + "p2,2026-11-20T10:00:00Z,no\n",
        ["line 3", "expected 7 columns, found 3"],
    ),
    (
        "nan.csv",
        HEADER + GOOD + "p2,2026-11-20T10:00:00Z,no,NaN,smb,1,a\n",
        ["line 3", "column 'score'", "not NaN or infinite"],
    ),
    (
        "inf.csv",
        HEADER + "p2,2026-11-20T10:00:00Z,no,inf,smb,1,a\n",
        ["line 2", "column 'score'", "not NaN or infinite"],
    ),
    (
        "range.csv",
        HEADER + GOOD + GOOD.replace("p1", "p2").replace("0.9", "1.2"),
        ["line 3", "column 'score'", "between 0 and 1", "'1.2'"],
    ),
    ("negative.csv", HEADER + GOOD.replace("0.9", "-0.1"), ["line 2", "between 0 and 1"]),
    (
        "dup.csv",
        HEADER + GOOD + GOOD.replace("0.9", "0.8"),
        ["line 2 and line 3", "column 'prediction_id'", "'p1' appears 2 times"],
    ),
    (
        "missing.csv",
        "prediction_id,ts,score\np1,2026-11-20T10:00:00Z,0.5\n",
        ["missing required column 'prediction'", "the file has: prediction_id, ts, score"],
    ),
    (
        "badts.csv",
        HEADER + GOOD + "p2,last tuesday,no,0.1,smb,1,a\n",
        ["line 3", "column 'ts'", "expected a timestamp", "'last tuesday'"],
    ),
    (
        "noid.csv",
        HEADER + GOOD + ",2026-11-20T10:00:00Z,no,0.1,smb,1,a\n",
        ["line 3", "column 'prediction_id'", "it is empty"],
    ),
    (
        "noscore.csv",
        HEADER + GOOD + "p2,2026-11-20T10:00:00Z,no,,smb,1,a\n",
        ["line 3", "column 'score'", "it is empty"],
    ),
    ("empty.csv", "", ["empty file"]),
    ("header_only.csv", HEADER, ["no rows"]),
    ("quote.csv", HEADER + 'p1,2026-11-20T10:00:00Z,"yes,0.9,smb,10,a\n', ["line"]),
    ("truncated.parquet", None, ["cannot read as parquet"]),
    (
        "bad.jsonl",
        JSON_ROW + '{"prediction_id": "p2", \n',
        ["not valid JSON", "line 2"],
    ),
    (
        "castjson.jsonl",
        JSON_ROW + JSON_ROW.replace("p1", "p2").replace("0.5", '"high"'),
        ["line 2", "column 'score'", "expected a number"],
    ),
]


@pytest.mark.parametrize(("name", "content", "parts"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_exit_2_name_the_problem_and_write_nothing(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | None,
    parts: list[str],
) -> None:
    # Something is already stored, so "nothing written" is checked against a real store.
    seed = project / "seed.parquet"
    churn_frame(5, start_id=100).write_parquet(seed)
    assert cli(capsys, "ingest", "predictions", seed, "--model", "churn").code == 0
    path = project / name
    if content is None:
        good = project / "whole.parquet"
        churn_frame(1000).write_parquet(good)
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    else:
        path.write_text(content)
    result = cli(capsys, "ingest", "predictions", path, "--model", "churn")
    assert result.code == 2, result.err
    assert result.out == ""
    assert str(path) in result.err
    for part in parts:
        assert part in result.err, result.err
    assert _rows(project) == 5
    assert count(project / DB, "SELECT count(*) FROM ingest_log") == 1


def test_bad_label_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "three.csv": ("prediction_id,label\np1,yes\np2,no\np3,maybe\n", "two values"),
        "nolabel.csv": ("prediction_id,label\np1,\n", "column 'label'"),
        "badwhen.csv": ("prediction_id,label,labeled_at\np1,yes,soon\n", "line 2"),
        "dups.csv": ("prediction_id,label\np1,yes\np1,no\n", "'p1' appears 2 times"),
    }
    for name, (content, part) in cases.items():
        path = project / name
        path.write_text(content)
        result = cli(capsys, "ingest", "labels", path, "--model", "churn")
        assert result.code == 2, name
        assert part in result.err, (name, result.err)
    assert _rows(project, "labels") == 0


def test_regression_values_must_be_numbers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "r.csv"
    path.write_text(
        "prediction_id,ts,prediction,city,rooms\nr1,2026-11-20T10:00:00Z,12.5,x,3\nr2,2026-11-20T10:00:00Z,cheap,x,3\n"
    )
    result = cli(capsys, "ingest", "predictions", path, "--model", "price")
    assert result.code == 2
    assert "line 3" in result.err and "column 'prediction'" in result.err
    ok = project / "ok.csv"
    ok.write_text("prediction_id,ts,prediction,city,rooms\nr1,2026-11-20T10:00:00Z,12.5,x,3\n")
    assert cli(capsys, "ingest", "predictions", ok, "--model", "price").code == 0
    assert (
        count(project / DB, "SELECT count(*) FROM predictions WHERE prediction_value = 12.5") == 1
    )


def test_unknown_model_and_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "a.txt"
    path.write_text("x")
    result = cli(capsys, "ingest", "predictions", path, "--model", "nope")
    assert result.code == 2
    assert "unknown model 'nope'; declared models: churn, price" in result.err
    result = cli(capsys, "ingest", "predictions", path, "--model", "churn")
    assert result.code == 2
    assert "cannot tell the format" in result.err
    result = cli(capsys, "ingest", "predictions", project / "none.csv", "--model", "churn")
    assert result.code == 2
    assert "no such file" in result.err
    # A missing path is missing, whatever its name looks like.
    for missing in ("none", "none.txt", "gone/part-0.parquet"):
        result = cli(capsys, "ingest", "predictions", project / missing, "--model", "churn")
        assert result.code == 2
        assert f"{project / missing}: no such file" in result.err, result.err


def test_float_class_labels_are_read_as_classes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = (project / "oncall.yaml").read_text().replace('positive: "yes"', "positive: 1")
    (project / "oncall.yaml").write_text(cfg)
    frame = churn_frame(4).with_columns(pl.Series("prediction", [1.0, 0.0, 1.0, 0.0]))
    path = project / "f.parquet"
    frame.write_parquet(path)
    assert cli(capsys, "ingest", "predictions", path, "--model", "churn").code == 0
    assert count(project / DB, "SELECT count(*) FROM predictions WHERE prediction = '1'") == 2


def test_summary_goes_to_stderr_and_json_to_stdout(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "a.parquet"
    churn_frame(7).write_parquet(path)
    plain = cli(capsys, "ingest", "predictions", path, "--model", "churn")
    assert plain.out == ""
    assert "7 rows — 7 added, 0 replaced, 0 unchanged" in plain.err
    as_json = cli(capsys, "ingest", "predictions", path, "--model", "churn", "--json")
    assert json.loads(as_json.out)[0]["rows"] == 7


def test_format_errors_are_in_words_and_the_cli_names_the_flag(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The core names the setting ("format"); only the command line turns it into a flag.
    with pytest.raises(InputError) as asked:
        detect_format(project / "a.csv", "xml")
    assert asked.value.field == "format"
    assert "--" not in asked.value.message
    with pytest.raises(InputError) as guessed:
        detect_format(project / "a.txt", None)
    assert guessed.value.field == "format"
    assert "--" not in guessed.value.message
    path = project / "a.csv"
    churn_frame(5).write_csv(path)
    result = cli(capsys, "ingest", "predictions", path, "--model", "churn", "--format", "xml")
    assert result.code == 2
    assert "the format must be one of parquet, csv, json, got 'xml' (--format)" in result.err
    assert _rows(project) == 0
