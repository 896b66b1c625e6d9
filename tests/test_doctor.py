"""`oncall doctor`, `backup`, `restore`: damage is found, ids never repeat, files private."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers import cli, oncall_subprocess, write_config

STORE = "store.duckdb"


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    old = os.umask(0o022)  # a usual umask, so 0600 is the store's doing
    try:
        yield write_config(tmp_path)
    finally:
        os.umask(old)


def new_bug(capsys: pytest.CaptureFixture[str], config: Path, title: str) -> int:
    result = cli(
        capsys,
        "--config",
        config,
        "--as",
        "alice",
        "bugs",
        "new",
        "--title",
        title,
        "--model",
        "churn",
        "--json",
    )
    assert result.code == 0, result.err
    return int(result.json()["id"])


def bug_ids(capsys: pytest.CaptureFixture[str], config: Path) -> list[int]:
    result = cli(
        capsys, "--config", config, "--as", "alice", "bugs", "list", "--status", "all", "--json"
    )
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = result.json()
    return sorted(int(r["id"]) for r in rows)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def keep_wal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers leave their WAL behind, as a process killed before its checkpoint does."""
    real = duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = real(*args, **kwargs)
        if not kwargs.get("read_only"):
            con.execute("PRAGMA disable_checkpoint_on_shutdown")
        return con

    monkeypatch.setattr(duckdb, "connect", connect)


def test_a_healthy_store_is_healthy(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new_bug(capsys, config, "a")
    result = cli(capsys, "--config", config, "--as", "alice", "doctor", "--json")
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["healthy"] is True
    assert report["schema_version"] == report["expected_version"]
    assert report["events_checked"] >= 1
    text = cli(capsys, "--config", config, "--as", "alice", "doctor")
    assert text.code == 0
    assert "healthy" in text.err


def test_a_cut_wal_is_reported_and_lost_ids_are_not_reused(
    config: Path, capsys: pytest.CaptureFixture[str], keep_wal: None
) -> None:
    assert [new_bug(capsys, config, t) for t in ("one", "two", "three")] == [1, 2, 3]
    wal = config.parent / (STORE + ".wal")
    assert wal.exists()
    assert mode(wal) == 0o600
    with wal.open("r+b") as handle:
        handle.truncate(wal.stat().st_size - 100)
    assert bug_ids(capsys, config) == [1, 2]  # the last commit is gone
    result = cli(capsys, "--config", config, "--as", "alice", "doctor")
    assert result.code == 1, result.out + result.err
    assert "committed write missing" in result.out
    assert "bug_seq: ids 3..3 were handed out" in result.out
    assert "restore" in result.out
    report = cli(capsys, "--config", config, "--as", "alice", "doctor", "--json").json()
    assert report["healthy"] is False
    assert {f["check"] for f in report["findings"] if f["problem"]} >= {"wal", "ids"}
    # The next bug skips the lost id 3, which someone may already have written down.
    assert new_bug(capsys, config, "four") == 4
    assert bug_ids(capsys, config) == [1, 2, 4]


def test_a_deleted_seal_and_event_is_a_broken_chain(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = new_bug(capsys, config, "a")
    for text in ("x", "y"):
        assert (
            cli(
                capsys,
                "--config",
                config,
                "--as",
                "alice",
                "bugs",
                "comment",
                str(bid),
                "--text",
                text,
            ).code
            == 0
        )
    assert cli(capsys, "--config", config, "--as", "alice", "doctor").code == 0
    con = duckdb.connect(str(config.parent / STORE))
    try:
        con.execute("DELETE FROM bug_events_seal WHERE event_id = 2")
        con.execute("DELETE FROM bug_events WHERE event_id = 2")
        con.execute("DELETE FROM bug_events_seal WHERE event_id = 3")
        con.execute("UPDATE bug_events SET actor = 'mallory' WHERE event_id = 3")
    finally:
        con.close()
    result = cli(capsys, "--config", config, "--as", "alice", "doctor")
    assert result.code == 1
    assert "broken chain: bug_events: event 2 was deleted" in result.out
    assert "broken chain: bug_events: event 3 was changed" in result.out
    assert "bug event without its seal" in result.out
    breaks = [
        f
        for f in cli(capsys, "--config", config, "--as", "alice", "doctor", "--json").json()[
            "findings"
        ]
        if f["check"] == "chain"
    ]
    assert len(breaks) == 2


def test_backup_beside_a_reader_then_restore_round_trips(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = config.parent / STORE
    new_bug(capsys, config, "kept")
    new_bug(capsys, config, "kept too")
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "con.execute('SELECT count(*) FROM bugs').fetchall()\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n",
            str(store),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "ready"
        backup = config.parent / "backups" / "b.duckdb"
        result = cli(capsys, "--config", config, "--as", "alice", "backup", backup, "--json")
        assert result.code == 0, result.err
        assert result.json()["bugs"] == 2
        assert reader.poll() is None  # the reader was never disturbed
    finally:
        reader.kill()
        reader.wait()
    assert mode(backup) == 0o600
    again = cli(capsys, "--config", config, "--as", "alice", "backup", backup)
    assert again.code == 2
    assert "--force" in again.err
    assert cli(capsys, "--config", config, "--as", "alice", "backup", backup, "--force").code == 0

    assert new_bug(capsys, config, "after the backup") == 3
    asked = cli(capsys, "--config", config, "--as", "alice", "restore", backup)
    assert asked.code == 2
    assert "would replace" in asked.err and "before-restore" in asked.err
    assert bug_ids(capsys, config) == [1, 2, 3]  # nothing happened

    done = cli(capsys, "--config", config, "--as", "alice", "restore", backup, "--yes", "--json")
    assert done.code == 0, done.err
    assert done.json()["kept_aside"] == str(store) + ".before-restore"
    assert bug_ids(capsys, config) == [1, 2]
    assert mode(store) == 0o600
    aside = duckdb.connect(str(store) + ".before-restore", read_only=True)
    try:
        assert aside.execute("SELECT count(*) FROM bugs").fetchall() == [(3,)]
    finally:
        aside.close()
    # Bug 3 existed once: its id is not handed out again.
    assert new_bug(capsys, config, "after the restore") == 4
    assert cli(capsys, "--config", config, "--as", "alice", "doctor").code == 0


def test_restore_refuses_what_is_not_a_store(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_bug(capsys, config, "a")
    junk = config.parent / "junk.duckdb"
    junk.write_bytes(b"not a store" * 500)
    result = cli(capsys, "--config", config, "--as", "alice", "restore", junk, "--yes")
    assert result.code == 2
    assert "not a DuckDB file" in result.err
    other = config.parent / "other.duckdb"
    duckdb.connect(str(other)).close()
    result = cli(capsys, "--config", config, "--as", "alice", "restore", other, "--yes")
    assert result.code == 2
    assert "not an oncall store" in result.err
    assert bug_ids(capsys, config) == [1]


def test_killing_a_backup_never_leaves_a_partial_file(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_bug(capsys, config, "a")
    store = config.parent / STORE
    con = duckdb.connect(str(store))
    try:  # some bulk, so the copy takes a while
        con.execute(
            "CREATE TABLE ballast AS SELECT range AS i, md5(range::VARCHAR) AS s "
            "FROM range(1500000)"
        )
    finally:
        con.close()
    backup = config.parent / "b.duckdb"
    script = Path(sys.executable).parent / "oncall"
    for delay in (0.6, 0.9, 1.2, 1.5, 2.0):
        backup.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [str(script), "--config", str(config), "--as", "alice", "backup", str(backup)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if backup.exists():  # it finished: then it is whole
            check = duckdb.connect(str(backup), read_only=True)
            try:
                assert check.execute("SELECT count(*) FROM ballast").fetchall() == [(1500000,)]
            finally:
                check.close()
    assert not (config.parent / "b.duckdb.wal").exists()


def test_new_files_are_private(
    config: Path, capsys: pytest.CaptureFixture[str], keep_wal: None
) -> None:
    new_bug(capsys, config, "a")
    store = config.parent / STORE
    for path in (store, store.with_name(STORE + ".wal"), store.with_name(f".{STORE}.marks.json")):
        assert path.exists(), path
        assert mode(path) == 0o600, path
    assert os.umask(0o022) == 0o022  # the process's umask is put back


def test_a_garbage_store_exits_74_in_one_line(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / STORE).write_bytes(b"\x00garbage" * 4096)
    for args in (("bugs", "list"), ("doctor",), ("backup", "b.duckdb")):
        result = oncall_subprocess(*args, cwd=tmp_path, env={"ONCALL_USER": "alice"})
        assert result.code == 74, (args, result.err)
        assert result.out == ""
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("store damaged:")
        assert "IO Error" not in result.err and "DuckDB" not in result.err
    assert not (tmp_path / "b.duckdb").exists()
