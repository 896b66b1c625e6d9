"""Hostile input files: refused with the file, row and column, quickly, writing nothing."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.helpers import (
    SMALL_CONFIG,
    Result,
    churn_frame,
    cli,
    count,
    oncall_subprocess,
    write_config,
)
from tui.core.ingest import load, snapshot

DB = "store.duckdb"
NOW = "2026-11-25T00:00"
HEADER = "prediction_id,ts,prediction,score,segment,spend,plan\n"


def _row(i: int, ts: str = "2026-11-20T10:00:00Z", prediction: str = "yes") -> str:
    return f"p{i},{ts},{prediction},0.5,smb,10,a\n"


def _ingest(capsys: pytest.CaptureFixture[str], kind: str, path: Path, *extra: str) -> Result:
    return cli(capsys, "--now", NOW, "ingest", kind, path, "--model", "churn", *extra)


def _stored(project: Path, table: str = "predictions") -> int:
    db = project / DB
    return count(db, f"SELECT count(*) FROM {table}") if db.exists() else 0  # noqa: S608


def _refused(
    capsys: pytest.CaptureFixture[str],
    project: Path,
    path: Path,
    *parts: str,
    kind: str = "predictions",
) -> str:
    result = cli(capsys, "--now", NOW, "ingest", kind, path, "--model", "churn")
    assert result.code == 2, result.err
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    for part in parts:
        assert part in result.err, result.err
    assert _stored(project, kind) == 0
    return result.err


# (1) timestamps outside the believable window


@pytest.mark.parametrize(
    "ts", ["1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"]
)
def test_a_timestamp_outside_the_window_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], ts: str
) -> None:
    path = project / "old.csv"
    path.write_text(HEADER + _row(1) + _row(2, ts=ts))
    err = _refused(capsys, project, path, str(path), "line 3", "column 'ts'", repr(ts))
    assert "2025-11-25 00:00 and 2026-11-26 00:00" in err


def test_the_window_follows_now_and_the_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "soon.csv"
    path.write_text(HEADER + _row(1, ts="2026-12-10T00:00:00Z"))
    _refused(capsys, project, path, "column 'ts'")
    write_config(project, SMALL_CONFIG + "ingest:\n  max_future: 30d\n")
    assert _ingest(capsys, "predictions", path).code == 0
    assert _stored(project) == 1


def test_the_window_starts_before_the_baseline(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "early.csv"
    path.write_text(HEADER + _row(1, ts="2024-06-01T00:00:00Z"))
    _refused(capsys, project, path, "column 'ts'", "2025-11-25")
    config = SMALL_CONFIG.replace(
        "    labels: {expected_delay: 2d}\n",
        "    labels: {expected_delay: 2d}\n    baseline: {start: 2025-01-01, end: 2025-01-31}\n",
    )
    write_config(project, config)
    assert _ingest(capsys, "predictions", path).code == 0


# (3) what is ingested is what was hashed; a path is that file


def test_a_file_replaced_after_hashing_is_not_read(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "a.csv"
    first = HEADER + _row(1) + _row(2)
    path.write_text(first)
    real = snapshot.take_snapshot

    def then_replace(*args: object) -> object:
        snap = real(*args)  # type: ignore[arg-type]
        path.write_text(HEADER + "".join(_row(i) for i in range(10, 15)))
        return snap

    monkeypatch.setattr(load, "take_snapshot", then_replace)
    result = _ingest(capsys, "predictions", path, "--json")
    assert result.code == 0, result.err
    summary = result.json()[0]
    assert summary["sha256"] == hashlib.sha256(first.encode()).hexdigest()
    assert summary["rows"] == 2
    assert count(project / DB, "SELECT count(*) FROM predictions WHERE prediction_id = 'p1'") == 1
    # The private copy is gone.
    assert not list(project.glob(".oncall-ingest-*"))


@pytest.mark.parametrize("name", ["g*.csv", "h[1].csv", "q?.csv"])
def test_a_path_with_glob_characters_is_that_one_file(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    for other in ("g1.csv", "h1.csv", "q1.csv"):
        (project / other).write_text(HEADER + _row(50) + _row(51))
    path = project / name
    path.write_text(HEADER + _row(1))
    result = _ingest(capsys, "predictions", path, "--json")
    assert result.code == 0, result.err
    assert result.json()[0]["rows"] == 1
    assert _stored(project) == 1


# (6) values that are not what the model says


def test_binary_labels_must_be_the_models_two_classes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "pets.csv"
    path.write_text("prediction_id,label\np1,cat\np2,dog\n")
    _refused(
        capsys, project, path, "line 3", "column 'label'", "'dog'", "two values", kind="labels"
    )
    # Once the other class is stored ("no"), a single new value is refused too.
    good = project / "good.csv"
    good.write_text(HEADER + _row(1, prediction="no"))
    assert _ingest(capsys, "predictions", good).code == 0
    maybe = project / "maybe.csv"
    maybe.write_text("prediction_id,label\np1,yes\np2,maybe\n")
    _refused(capsys, project, maybe, "line 3", "column 'label'", "'maybe'", "'no'", kind="labels")
    wrong = project / "wrong.csv"
    wrong.write_text(HEADER + _row(2, prediction="cat"))
    err = cli(capsys, "--now", NOW, "ingest", "predictions", wrong, "--model", "churn").err
    assert "line 2" in err and "column 'prediction'" in err and "'cat'" in err
    assert _stored(project) == 1


def test_declared_classes_bind_labels_and_predictions(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(
        project,
        SMALL_CONFIG.replace(
            "models:\n",
            "models:\n  ticket:\n    task: multiclass\n    classes: [billing, sales, tech]\n",
        ),
    )
    preds = project / "t.jsonl"
    rows = [
        {"prediction_id": "t1", "ts": "2026-11-20T10:00:00Z", "prediction": "sales"},
        {"prediction_id": "t2", "ts": "2026-11-20T10:00:00Z", "prediction": "spam"},
    ]
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = cli(capsys, "--now", NOW, "ingest", "predictions", preds, "--model", "ticket")
    assert result.code == 2
    assert "line 2" in result.err and "column 'prediction'" in result.err
    assert "'spam'" in result.err and "declared classes" in result.err
    labels = project / "l.csv"
    labels.write_text("prediction_id,label\nt1,tech\nt2,refund\n")
    result = cli(capsys, "--now", NOW, "ingest", "labels", labels, "--model", "ticket")
    assert result.code == 2
    assert "line 3" in result.err and "column 'label'" in result.err and "'refund'" in result.err
    assert _stored(project, "labels") == 0


@pytest.mark.parametrize(
    "column",
    [
        pa.array([["p1"], ["p2"]]),
        pa.array([{"id": "p1"}, {"id": "p2"}]),
    ],
    ids=["list", "struct"],
)
def test_a_nested_parquet_id_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], column: pa.Array
) -> None:
    table = churn_frame(2).to_arrow()
    table = table.set_column(0, "prediction_id", column)
    path = project / "nested.parquet"
    pq.write_table(table, path)
    _refused(capsys, project, path, "row 1", "column 'prediction_id'", "a single value")


def test_a_list_in_json_lines_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "list.jsonl"
    row = {"prediction_id": "p1", "ts": "2026-11-20T10:00:00Z", "prediction": "yes", "score": 0.5}
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "prediction_id": [1]}) + "\n")
    _refused(capsys, project, path, "line 2", "column 'prediction_id'", "not a list")


def test_a_boolean_score_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = churn_frame(3).with_columns(pl.Series("score", [True, False, True]))
    path = project / "bool.parquet"
    frame.write_parquet(path)
    _refused(capsys, project, path, "row 1", "column 'score'", "not true or false")


def test_duplicate_columns_are_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = project / "dup.csv"
    csv.write_text(HEADER.strip() + ",score\n" + _row(1).strip() + ",0.9\n")
    _refused(capsys, project, csv, "column 'score' appears twice")
    table = churn_frame(2).to_arrow()
    table = table.append_column("score", pa.array([0.9, 0.1]))
    parquet = project / "dup.parquet"
    pq.write_table(table, parquet)
    _refused(capsys, project, parquet, "column 'score' appears twice")


def test_a_header_too_wide_for_a_name_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Past 131,072 characters the csv module itself gives up; below it a name is still absurd.
    for width in (140_000, 5_000):
        path = project / f"wide{width}.csv"
        path.write_text(HEADER.strip() + "," + "x" * width + "\n" + _row(1).strip() + ",3\n")
        _refused(capsys, project, path, "line 1:")


def test_a_byte_order_mark_is_not_part_of_the_first_column(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + _row(1)).encode())
    result = _ingest(capsys, "predictions", path, "--json")
    assert result.code == 0, result.err
    assert result.json()[0]["schema_findings"] == []
    assert _stored(project) == 1


def test_errors_after_a_quoted_newline_name_the_physical_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spanning = 'p2,2026-11-20T10:00:00Z,no,0.5,"two\nlines",10,a\n'
    bad_value = project / "value.csv"
    bad_value.write_text(
        HEADER + _row(1) + spanning + "p3,2026-11-20T10:00:00Z,no,0.5,smb,lots,a\n"
    )
    _refused(capsys, project, bad_value, "line 5", "column 'spend'", "'lots'")
    ragged = project / "ragged.csv"
    ragged.write_text(HEADER + _row(1) + spanning + "p3,2026-11-20T10:00:00Z\n")
    _refused(capsys, project, ragged, "line 5", "expected 7 columns, found 2")


def test_paths_that_are_not_files_each_get_their_own_message(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = project / "loop.csv"
    loop.symlink_to(project / "loop.csv")
    folder = project / "folder.csv"
    folder.mkdir()
    dangling = project / "dangling.csv"
    dangling.symlink_to(project / "gone.csv")
    cases = {
        loop: "symbolic link loop",
        folder: "is a directory",
        dangling: "a symbolic link to a file that does not exist",
    }
    for path, part in cases.items():
        _refused(capsys, project, path, part, str(path))


def test_a_fifo_is_refused_without_being_opened(project: Path) -> None:
    fifo = project / "pipe.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    # A child process with a timeout: a FIFO opened for reading would block forever.
    result = oncall_subprocess(
        "--now", NOW, "ingest", "predictions", fifo, "--model", "churn", cwd=project, timeout=30
    )
    # Generous: the child's start-up alone takes seconds on a busy machine.
    assert time.monotonic() - started < 25
    assert result.code == 2, result.err
    assert "named pipe (FIFO)" in result.err and str(fifo) in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


def test_an_unreadable_file_exits_74(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "locked.csv"
    path.write_text(HEADER + _row(1))

    def denied(*_args: object) -> int:
        raise PermissionError(13, "Permission denied")

    # Tests run as root here, where chmod 000 does not stop a read.
    monkeypatch.setattr(os, "open", denied)
    result = _ingest(capsys, "predictions", path)
    assert result.code == 74
    assert "permission denied" in result.err


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("key.csv", "hunter2\n"),
        ("key2.csv", "user,password\nroot,hunter2\n"),
        ("key.jsonl", '{"password": "hunter2"}\n'),
        ("rag.csv", HEADER + "p1,hunter2\n"),
    ],
)
def test_a_message_never_quotes_an_unrelated_file(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, secret: str
) -> None:
    target = project / "secret.txt"
    target.write_text(secret)
    link = project / name
    link.symlink_to(target)
    err = _refused(capsys, project, link, str(link))
    assert "hunter2" not in err and "password" not in err


# (7) many undeclared columns are one finding, and stay fast


def test_ten_thousand_undeclared_columns_are_one_finding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [f"x{i}" for i in range(10_000)]
    path = project / "wide.csv"
    lines = [HEADER.strip() + "," + ",".join(extra)]
    for i in range(20):
        lines.append(_row(i).strip() + "," + ",".join("1" for _ in extra))
    path.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    result = _ingest(capsys, "predictions", path, "--json")
    assert result.code == 0, result.err
    findings = result.json()[0]["schema_findings"]
    assert len(findings) == 1
    assert findings[0]["detail"].startswith("10000 undeclared columns: x0, x1, x2, … and 9997 more")
    assert count(project / DB, "SELECT count(*) FROM schema_findings") == 1
    checked = cli(capsys, "--now", NOW, "check", "--model", "churn")
    assert checked.code in (0, 1), checked.err
    assert time.monotonic() - started < 10
    assert count(project / DB, "SELECT count(*) FROM alerts WHERE kind = 'schema'") == 1


# (8) whatever DuckDB's reader says of a malformed file, the person reads our words

_JSON_ROW = (
    '{"prediction_id": "p1", "ts": "2026-11-20T10:00:00Z", "prediction": "yes", '
    '"score": 0.5, "segment": "smb", "spend": 10, "plan": "a"}\n'
)
# DuckDB's own words (and of the libraries it reads with), which must never reach a user.
_DUCKDB_PHRASES = (
    "Error:",
    "Binder",
    "Conversion Error",
    "TransactionContext",
    "Invalid Input",
    "Malformed JSON",
    "magic bytes",
    "Variable-length",
    "ZSTD",
)


def _parquet_bytes(project: Path) -> bytes:
    good = project / "whole.parquet"
    churn_frame(50).write_parquet(good)
    return good.read_bytes()


def _malformed(project: Path, name: str) -> bytes:
    whole = _parquet_bytes(project) if name.endswith(".parquet") else b""
    return {
        "ragged.csv": (HEADER + _row(1) + "p2,2026-11-20T10:00:00Z,yes\n").encode(),
        "open_quote.csv": (
            HEADER + _row(1) + 'p2,"2026-11-20T10:00:00Z,yes,0.5,smb,10,a\n'
        ).encode(),
        "latin1.csv": (HEADER + _row(1).replace("smb", "sm\xe9b")).encode("latin-1"),
        "noise.csv": bytes(range(256)) * 8,
        "broken.csv.gz": b"\x1f\x8b\x08\x00not gzip",
        "broken.csv.zst": b"\x28\xb5\x2f\xfdnot zstd at all",
        "cut.jsonl": (_JSON_ROW * 2 + '{"prediction_id": "p3", "ts": \n').encode(),
        "line3.jsonl": (_JSON_ROW * 2 + "not json\n" + _JSON_ROW).encode(),
        "array.json": ("[" + _JSON_ROW.strip() + ",\n" + _JSON_ROW.strip() + "]\n").encode(),
        "text.parquet": b"this is not a parquet file\n",
        "half.parquet": whole[: len(whole) // 2],
        "no_footer.parquet": whole[:-12] + b"\0" * 12,
        "garbled.parquet": whole[:40] + b"\xff" * 80 + whole[120:],
    }[name]


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("ragged.csv", ["line 3", "expected 7 columns, found 3"]),
        ("open_quote.csv", ["line 3", "not closed"]),
        ("latin1.csv", ["UTF-8"]),
        ("noise.csv", []),
        ("broken.csv.gz", ["gzip"]),
        ("broken.csv.zst", ["zstd"]),
        ("cut.jsonl", ["line 3", "not valid JSON", "one JSON object per line"]),
        ("line3.jsonl", ["line 3", "not valid JSON"]),
        ("array.json", ["line 1", "not valid JSON"]),
        ("text.parquet", ["not a Parquet file"]),
        ("half.parquet", ["Parquet"]),
        ("no_footer.parquet", ["Parquet"]),
        ("garbled.parquet", ["damaged Parquet file"]),
    ],
)
def test_a_malformed_file_is_named_in_our_words_never_duckdbs(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, parts: list[str]
) -> None:
    path = project / name
    path.write_bytes(_malformed(project, name))
    err = _refused(capsys, project, path, str(path), *parts)
    for phrase in _DUCKDB_PHRASES:
        assert phrase not in err, (phrase, err)
