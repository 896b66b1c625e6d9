"""Formats pipelines produce: folders, Hive trees, patterns, compressed text, booleans,
literal names with glob characters, and calendar-month windows."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.helpers import SMALL_CONFIG, Result, churn_frame, cli, count, write_config
from tui.core.config.times import (
    CalendarMonths,
    add_months,
    floor_month,
    parse_duration,
    parse_months,
    parse_now,
    trailing_start,
)

DB = "store.duckdb"
NOW = "2026-11-25T00:00"
HEADER = "prediction_id,ts,prediction,score,segment,spend,plan\n"


def _row(i: int, spend: str = "10", segment: str = "smb") -> str:
    return f"p{i},2026-11-20T10:00:00Z,yes,0.5,{segment},{spend},a\n"


def _csv(path: Path, ids: range, **kw: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(_row(i, **kw) for i in ids))
    return path


def _ingest(
    capsys: pytest.CaptureFixture[str], *args: str | Path, kind: str = "predictions"
) -> Result:
    return cli(capsys, "--now", NOW, "ingest", kind, *args, "--model", "churn", "--json")


def _count(project: Path, sql: str) -> int:
    db = project / DB
    return count(db, sql) if db.exists() else 0


def _stored(project: Path) -> int:
    return _count(project, "SELECT count(*) FROM predictions")


def _ingests(project: Path) -> int:
    return _count(project, "SELECT count(*) FROM ingest_log")


# (1) folders and Hive trees: one atomic ingest


def test_a_folder_is_one_ingest_and_markers_are_skipped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project / "preds"
    _csv(folder / "b.csv", range(3, 6))
    _csv(folder / "a.csv", range(0, 3))
    _csv(folder / "sub" / "c.csv", range(6, 8))
    # What writers leave beside their files; any of them read as data would fail.
    (folder / "_SUCCESS").write_text("")
    (folder / "_committed_123").write_text("{}")
    (folder / ".a.csv.crc").write_bytes(b"\x00\x01")
    (folder / "b.csv.crc").write_bytes(b"\x00\x01")
    (folder / ".hidden.csv").write_text("not,a\nvalid,file,at,all\n")
    (folder / "_temporary").mkdir()
    (folder / "_temporary" / "x.csv").write_text("junk")
    result = _ingest(capsys, folder)
    assert result.code == 0, result.err
    summary = result.json()[0]
    assert summary["files"] == 3
    assert summary["rows"] == summary["added"] == 8
    assert summary["file"] == str(folder)
    assert _stored(project) == 8
    assert _ingests(project) == 1
    assert _count(project, "SELECT count(DISTINCT ingest_id) FROM predictions") == 1
    assert not list(project.glob(".oncall-ingest-*"))  # every private copy is gone


def test_a_hive_tree_fills_declared_columns_from_its_path(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = project / "preds"
    frame = churn_frame(6).drop("segment")
    for k, segment in enumerate(["smb", "ent"]):
        part = tree / f"segment={segment}" / "dt=2026-11-20" / "part-0.parquet"
        part.parent.mkdir(parents=True)
        frame.slice(3 * k, 3).write_parquet(part)
    # The file's own column wins over the folder's value.
    own = tree / "segment=mid" / "dt=2026-11-20" / "part-0.parquet"
    own.parent.mkdir(parents=True)
    churn_frame(2, start_id=100).with_columns(pl.lit("own").alias("segment")).write_parquet(own)
    # Hive's null, and escaped characters in a value.
    odd = tree / "segment=__HIVE_DEFAULT_PARTITION__" / "dt=2026-11-21" / "p.parquet"
    odd.parent.mkdir(parents=True)
    churn_frame(1, start_id=200).drop("segment").write_parquet(odd)
    esc = tree / "segment=a%2Fb" / "dt=2026-11-21" / "p.parquet"
    esc.parent.mkdir(parents=True)
    churn_frame(1, start_id=300).drop("segment").write_parquet(esc)
    result = _ingest(capsys, tree)
    assert result.code == 0, result.err
    summary = result.json()[0]
    assert summary["rows"] == 10 and summary["files"] == 5
    # `dt` is not declared: a partition key the contract does not read is no finding.
    assert summary["schema_findings"] == []
    by = {
        seg: _count(project, f"SELECT count(*) FROM predictions WHERE segment = '{seg}'")  # noqa: S608
        for seg in ("smb", "ent", "own", "mid", "a/b")
    }
    assert by == {"smb": 3, "ent": 3, "own": 2, "mid": 0, "a/b": 1}
    assert _count(project, "SELECT count(*) FROM predictions WHERE segment IS NULL") == 1
    ids = (
        "SELECT count(*) FROM predictions "
        "WHERE segment = 'smb' AND prediction_id IN ('p0', 'p1', 'p2')"
    )
    assert _count(project, ids) == 3


def test_a_bad_file_in_the_middle_of_a_tree_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = project / "preds"
    _csv(tree / "dt=2026-11-20" / "part-0.csv", range(0, 3))
    bad = _csv(tree / "dt=2026-11-21" / "part-0.csv", range(3, 6))
    bad.write_text(HEADER + _row(3) + _row(4, spend="lots") + _row(5))
    _csv(tree / "dt=2026-11-22" / "part-0.csv", range(6, 9))
    result = _ingest(capsys, tree)
    assert result.code == 2
    assert str(bad) in result.err and "line 3" in result.err, result.err
    assert "column 'spend'" in result.err and "'lots'" in result.err, result.err
    assert "Traceback" not in result.err
    assert _stored(project) == 0
    assert _ingests(project) == 0
    assert not list(project.glob(".oncall-ingest-*"))


def test_an_id_in_two_files_of_a_tree_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _csv(project / "preds" / "a.csv", range(0, 3))
    second = _csv(project / "preds" / "b.csv", range(2, 4))
    result = _ingest(capsys, project / "preds")
    assert result.code == 2
    assert str(second) in result.err and str(first) in result.err, result.err
    assert "'p2'" in result.err and "line 2" in result.err, result.err
    assert _stored(project) == 0


def test_a_tree_mixing_formats_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = project / "preds"
    _csv(tree / "a.csv", range(0, 2))
    churn_frame(2, start_id=10).write_parquet(tree / "b.parquet")
    result = _ingest(capsys, tree)
    assert result.code == 2
    assert "mixes formats" in result.err and "b.parquet" in result.err, result.err
    assert _stored(project) == 0
    # A file of no known format inside is refused, not skipped.
    (tree / "b.parquet").unlink()
    (tree / "notes.txt").write_text("hello")
    result = _ingest(capsys, tree)
    assert result.code == 2 and "notes.txt" in result.err, result.err
    # A Delta table's folder holds files its log removed: never read file by file.
    (tree / "notes.txt").unlink()
    (tree / "_delta_log").mkdir()
    (tree / "_delta_log" / "00000.json").write_text("{}")
    result = _ingest(capsys, tree)
    assert result.code == 2 and "Delta table" in result.err, result.err
    # An empty folder says what it is.
    (project / "empty").mkdir()
    result = _ingest(capsys, project / "empty")
    assert result.code == 2 and "no data files" in result.err, result.err


def test_the_same_tree_again_is_recognised_and_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = project / "preds"
    _csv(tree / "dt=2026-11-20" / "a.csv", range(0, 3))
    _csv(tree / "dt=2026-11-21" / "a.csv", range(3, 5))
    assert _ingest(capsys, tree).code == 0
    again = _ingest(capsys, tree)
    assert again.code == 0, again.err
    summary = again.json()[0]
    assert summary["already_ingested"] is True and summary["rows"] == 5
    assert _ingests(project) == 1
    # A new file changes the tree: it is read again, and only the new rows are added.
    _csv(tree / "dt=2026-11-22" / "a.csv", range(5, 6))
    grown = _ingest(capsys, tree).json()[0]
    assert grown["already_ingested"] is False
    assert (grown["added"], grown["unchanged"], grown["replaced"]) == (1, 5, 0)
    assert _stored(project) == 6
    # Renaming a file changes the tree's identity (its place is part of it) but no row.
    (tree / "dt=2026-11-22" / "a.csv").rename(tree / "dt=2026-11-22" / "b.csv")
    moved = _ingest(capsys, tree).json()[0]
    assert moved["already_ingested"] is False and moved["unchanged"] == 6


def test_labels_come_as_a_tree_too(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _csv(project / "p.csv", range(0, 4))
    assert _ingest(capsys, project / "p.csv").code == 0
    labels = project / "labels"
    (labels / "dt=2026-11-21").mkdir(parents=True)
    (labels / "dt=2026-11-21" / "a.jsonl").write_text(
        "".join(json.dumps({"prediction_id": f"p{i}", "label": "yes"}) + "\n" for i in range(2))
    )
    (labels / "dt=2026-11-22").mkdir()
    (labels / "dt=2026-11-22" / "a.jsonl").write_text(
        json.dumps({"prediction_id": "p3", "label": "no"}) + "\n"
    )
    # A later partition corrects an earlier label: a correction, not a duplicate.
    (labels / "dt=2026-11-23").mkdir()
    (labels / "dt=2026-11-23" / "a.jsonl").write_text(
        json.dumps({"prediction_id": "p0", "label": "no"}) + "\n"
    )
    result = _ingest(capsys, labels, kind="labels")
    assert result.code == 0, result.err
    summary = result.json()[0]
    assert (summary["rows"], summary["added"], summary["replaced"]) == (4, 3, 1)
    assert _count(project, "SELECT count(*) FROM labels") == 3
    assert _count(project, "SELECT count(*) FROM labels WHERE label = 'no'") == 2


# (2) compressed CSV and JSON lines


def _zstd(plain: Path, target: Path) -> None:
    """Compress ``plain`` byte for byte with zstd (Python 3.11's standard library
    cannot; DuckDB can, writing the file's text as one unquoted value)."""
    con = duckdb.connect()
    try:
        # A test's own tmp path, not user input.
        sql = (
            "COPY (SELECT rtrim(content, chr(10)) FROM read_text(?)) TO "  # noqa: S608
            f"'{target}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', COMPRESSION zstd)"
        )
        con.execute(sql, [str(plain)])
    finally:
        con.close()
    assert target.stat().st_size > 0


@pytest.mark.parametrize("suffix", [".csv.gz", ".jsonl.gz", ".ndjson.gz", ".csv.zst", ".jsonl.zst"])
def test_compressed_text_files_are_read(
    project: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    frame = churn_frame(50)
    fmt = "csv" if ".csv" in suffix else "json"
    plain = project / f"plain.{'csv' if fmt == 'csv' else 'jsonl'}"
    frame.write_csv(plain) if fmt == "csv" else frame.write_ndjson(plain)
    target = project / f"p{suffix}"
    if suffix.endswith(".gz"):
        target.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        _zstd(plain, target)
    result = _ingest(capsys, target)
    assert result.code == 0, result.err
    assert result.json()[0]["rows"] == 50
    assert _count(project, "SELECT count(*) FROM predictions WHERE spend IS NOT NULL") == 50


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.zst"])
def test_compressed_csv_headers_are_checked_after_decompression(
    project: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    plain = project / "dup.csv"
    # A byte-order mark, then a column named twice: the check must see the real header.
    plain.write_text("\ufeffprediction_id,ts,prediction,score,score\np1,2026-11-20,yes,0.5,0.5\n")
    target = project / f"dup{suffix}"
    if suffix.endswith(".gz"):
        target.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        _zstd(plain, target)
    result = _ingest(capsys, target)
    assert result.code == 2
    assert "'score' appears twice in the header" in result.err, result.err
    # A BOM-prefixed good header is read without the mark.
    good = project / "good.csv"
    good.write_text("\ufeff" + HEADER + _row(1))
    packed = project / "good.csv.gz"
    packed.write_bytes(gzip.compress(good.read_bytes()))
    result = _ingest(capsys, packed)
    assert result.code == 0, result.err
    assert _stored(project) == 1


def test_a_file_named_gz_that_is_not_gzip_is_bad_input(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = project / "p.csv.gz"
    fake.write_text(HEADER + _row(1))
    result = _ingest(capsys, fake)
    assert result.code == 2 and "gzip" in result.err and str(fake) in result.err, result.err
    for name in ("q.csv.zst", "q.jsonl.zst", "q.jsonl.gz"):
        fake = project / name
        fake.write_text(HEADER + _row(1))
        result = _ingest(capsys, fake)
        assert result.code == 2 and str(fake) in result.err, result.err
        assert "Traceback" not in result.err and "prediction_id,ts" not in result.err
    parquet = project / "p.parquet.gz"
    parquet.write_bytes(b"x")
    result = _ingest(capsys, parquet)
    assert result.code == 2 and "'.parquet.gz'" in result.err, result.err


def test_a_bad_row_in_a_gzip_csv_names_its_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project / "p.csv.gz"
    target.write_bytes(gzip.compress((HEADER + _row(1) + _row(2, spend="lots")).encode()))
    result = _ingest(capsys, target)
    assert result.code == 2
    assert f"{target}: line 3: column 'spend'" in result.err, result.err


# (3) booleans


BOOL_CONFIG = SMALL_CONFIG.replace(
    "      plan: {type: categorical, allowed: [a, b]}\n",
    "      plan: {type: categorical, allowed: [a, b]}\n"
    "      promo: {type: categorical}\n"
    "      opted_in: {type: numeric}\n",
)


@pytest.mark.parametrize("suffix", ["parquet", "jsonl", "csv"])
def test_boolean_features_are_text_or_numbers_as_declared(
    project: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    write_config(project, BOOL_CONFIG)
    flags = [True, False, True, None]
    frame = churn_frame(4).with_columns(
        pl.Series("promo", flags, dtype=pl.Boolean), pl.Series("opted_in", flags, dtype=pl.Boolean)
    )
    path = project / f"p.{suffix}"
    if suffix == "parquet":
        frame.write_parquet(path)
    elif suffix == "jsonl":
        frame.write_ndjson(path)
    else:
        frame.write_csv(path)
    result = _ingest(capsys, path)
    assert result.code == 0, result.err
    # A boolean fits either declared type: no type finding.
    assert result.json()[0]["schema_findings"] == []
    con = duckdb.connect(str(project / DB), read_only=True)
    try:
        rows = con.execute(
            "SELECT prediction_id, promo, opted_in FROM predictions ORDER BY prediction_id"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("p0", "true", 1.0),
        ("p1", "false", 0.0),
        ("p2", "true", 1.0),
        ("p3", None, None),
    ]


def test_a_boolean_score_is_still_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "p.csv"
    path.write_text(
        HEADER.replace("score", "score") + "p1,2026-11-20T10:00:00Z,yes,true,smb,10,a\n"
    )
    result = _ingest(capsys, path)
    assert result.code == 2 and "column 'score'" in result.err, result.err


# (4) a literal name is that file; --glob is our own matching


@pytest.mark.parametrize("name", ["a*.csv", "preds[1].csv", "a?.csv"])
def test_a_name_with_glob_characters_is_read_as_itself(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # Each of these would match the literal file and its neighbours as a glob.
    for other in ("ab.csv", "preds1.csv", "a1.csv"):
        _csv(project / other, range(50, 53))
    path = _csv(project / name, range(0, 1))
    result = _ingest(capsys, path)
    assert result.code == 0, result.err
    assert result.json()[0]["rows"] == 1
    assert _stored(project) == 1
    assert _count(project, "SELECT count(*) FROM predictions WHERE prediction_id = 'p0'") == 1


def test_glob_matches_with_our_code_and_is_one_ingest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = project / "preds"
    _csv(tree / "dt=2026-11-20" / "part-0.csv", range(0, 2))
    _csv(tree / "dt=2026-11-20" / "part-1.csv", range(2, 4))
    _csv(tree / "dt=2026-11-21" / "part-0.csv", range(4, 5))
    _csv(tree / "dt=2026-11-21" / "other.csv", range(10, 20))
    _csv(tree / "deep" / "dt=x" / "part-0.csv", range(30, 40))
    (tree / "dt=2026-11-21" / "part-9.csv.crc").write_text("junk")
    # Only folders the pattern can match are entered: a link loop elsewhere is not.
    (tree / "loop").symlink_to(tree)
    result = _ingest(capsys, "--glob", "preds/dt=*/part-*.csv")
    assert result.code == 0, result.err
    summary = result.json()[0]
    assert summary["file"] == "preds/dt=*/part-*.csv"
    assert (summary["files"], summary["rows"]) == (3, 5)
    assert _stored(project) == 5 and _ingests(project) == 1
    # ** spans folders: it meets the link, and says so.
    result = _ingest(capsys, "--glob", "preds/**/part-0.csv", "--force")
    assert result.code == 2 and "preds/loop: a symbolic link to a folder" in result.err
    (tree / "loop").unlink()
    result = _ingest(capsys, "--glob", "preds/**/part-0.csv", "--force")
    assert result.code == 0, result.err
    assert result.json()[0]["files"] == 3
    assert _stored(project) == 15
    # A final ** takes every file below (markers aside).
    result = _ingest(capsys, "--glob", "preds/**", "--force")
    assert result.code == 0, result.err
    assert result.json()[0]["files"] == 5


def test_a_glob_matching_nothing_exits_2_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _csv(project / "preds" / "a.csv", range(0, 2))
    for pattern in ("preds/*.parquet", "nowhere/*.csv"):
        result = _ingest(capsys, "--glob", pattern)
        assert result.code == 2
        assert repr(pattern) in result.err and "matches no data files" in result.err
        assert "Traceback" not in result.err
    assert _stored(project) == 0
    result = cli(capsys, "ingest", "predictions", "--model", "churn")
    assert result.code == 2 and "--glob" in result.err, result.err


def test_a_glob_with_a_bad_file_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _csv(project / "in" / "a.csv", range(0, 2))
    bad = _csv(project / "in" / "b.csv", range(2, 3), spend="-5")
    result = _ingest(capsys, "--glob", "in/*.csv")
    # -5 is out of bounds (an alert later), not unreadable: the glob ingests both files.
    assert result.code == 0, result.err
    bad.write_text(HEADER + "p9,never,yes,0.5,smb,1,a\n")
    result = _ingest(capsys, "--glob", "in/*.csv", "--force")
    # The pattern was relative, and so is the name of the file in the message.
    assert result.code == 2 and "in/b.csv: line 2: column 'ts'" in result.err, result.err
    assert bad.exists()
    assert _stored(project) == 3


def test_a_store_in_a_key_value_folder_adds_no_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The private copy sits beside the store: DuckDB would read `segment=ent` in its
    # path as a Hive column and fill the declared slice with it. (The data file's own
    # folders are another matter: they do give partition values, see above.)
    folder = tmp_path / "segment=ent"
    folder.mkdir()
    write_config(folder)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("ONCALL_USER", "alice")
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "p.parquet"
    churn_frame(3).drop("segment").write_parquet(path)
    result = _ingest(capsys, path)
    assert result.code == 0, result.err
    assert [f["column"] for f in result.json()[0]["schema_findings"]] == ["segment"]
    assert _count(folder, "SELECT count(*) FROM predictions WHERE segment IS NULL") == 3


# (5) calendar months


def test_months_parse_and_move_by_the_calendar() -> None:
    assert parse_months("1mo") == 1 and parse_months(" 12mo ") == 12
    assert parse_months("3d") is None
    for bad in ("0mo", "121mo"):
        with pytest.raises(ValueError):
            parse_months(bad)
    assert add_months(datetime(2026, 3, 31, 5), -1) == datetime(2026, 2, 28, 5)
    assert add_months(datetime(2028, 3, 31), -1) == datetime(2028, 2, 29)
    assert add_months(datetime(2026, 12, 15), 2) == datetime(2027, 2, 15)
    assert add_months(datetime(2026, 1, 10), -13) == datetime(2024, 12, 10)
    assert floor_month(datetime(2026, 11, 20, 14, 5)) == datetime(2026, 11, 1)
    # A month is not a fixed duration: where one is needed, it is refused in words.
    with pytest.raises(CalendarMonths, match="calendar months"):
        parse_duration("1mo")
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("30m") == timedelta(minutes=30)
    wall = datetime(2026, 3, 31, 9)
    assert parse_now("-1mo", wall) == datetime(2026, 2, 28, 9)
    assert parse_now("+1mo", wall) == datetime(2026, 4, 30, 9)
    assert parse_now("-2h", wall) == datetime(2026, 3, 31, 7)


def test_a_month_offline_gap_window_loads_and_0mo_is_a_config_error_naming_the_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A monthly offline gap (tests/test_month_gap_estimates.py judges it).
    write_config(project, SMALL_CONFIG + "checks:\n  offline_gap: {window: 1mo}\n")
    result = cli(capsys, "config", "check")
    assert result.code == 0 and "calendar-month" not in result.err, result.err
    write_config(project, SMALL_CONFIG + "checks:\n  offline_gap: {window: 0mo}\n")
    result = cli(capsys, "config", "check")
    assert result.code == 2
    key = "checks.offline_gap.window"
    assert f"oncall.yaml:{SMALL_CONFIG.count(chr(10)) + 2}: {key}:" in result.err, result.err
    assert "must be positive" in result.err and "Traceback" not in result.err


def test_a_month_slo_window_loads_and_0mo_is_a_config_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SMALL_CONFIG.replace(
        "    labels: {expected_delay: 2d}\n",
        "    labels: {expected_delay: 2d}\n"
        "    slos:\n      - {metric: f1, min: 0.8, window: 1mo}\n",
        1,
    )
    # A monthly SLO (tests/test_month_windows.py judges it).
    write_config(project, text)
    result = cli(capsys, "config", "check")
    assert result.code == 0 and "calendar-month" not in result.err, result.err
    write_config(project, text.replace("window: 1mo", "window: 0mo"))
    result = cli(capsys, "config", "check")
    assert result.code == 2
    assert "oncall.yaml:13: models.churn.slos.0.window:" in result.err, result.err
    assert "must be positive" in result.err and "Traceback" not in result.err


def test_now_a_month_back(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Rows served a day after "now" are beyond ingest.max_future (1d): the refusal
    # shows which "now" `-1mo` meant.
    wall = datetime.now(UTC).replace(tzinfo=None)
    month_ago = add_months(wall, -1)
    served = (month_ago + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = project / "p.csv"
    path.write_text(HEADER + f"p1,{served},yes,0.5,smb,10,a\n")
    result = cli(capsys, "--now", "-1mo", "ingest", "predictions", path, "-m", "churn")
    assert result.code == 2
    latest = month_ago + timedelta(days=1)
    assert f"and {latest:%Y-%m-%d %H:}" in result.err, result.err


def test_a_trailing_month_goes_back_by_the_calendar() -> None:
    # What the slices pane's window box reads: `1mo` back to the same day of the month.
    assert trailing_start(datetime(2026, 3, 31, 14), "1mo") == datetime(2026, 2, 28, 14)
    assert trailing_start(datetime(2026, 11, 20), "2mo") == datetime(2026, 9, 20)
    assert trailing_start(datetime(2026, 11, 20), "7d") == datetime(2026, 11, 13)
    with pytest.raises(ValueError):
        trailing_start(datetime(2026, 11, 20), "soon")


def test_a_file_named_alone_keeps_the_partition_values_of_its_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`preds/segment=ent/part-0.parquet` is segment ent whether the tree or the file
    is named."""
    write_config(tmp_path)
    part = tmp_path / "preds" / "segment=ent" / "part-0.parquet"
    part.parent.mkdir(parents=True)
    churn_frame(20).drop("segment").write_parquet(part)
    done = cli(
        capsys,
        "--config",
        tmp_path / "oncall.yaml",
        "ingest",
        "predictions",
        part,
        "--model",
        "churn",
    )
    assert done.code == 0, done.err
    db = tmp_path / "store.duckdb"
    assert count(db, "SELECT count(*) FROM predictions WHERE segment = 'ent'") == 20
