"""Every connection to a store: no progress bar, the memory limit, spilling beside it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tui.core.store.connection import Store, spill_path


def _settings(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    names = ["enable_progress_bar", "memory_limit", "temp_directory"]
    return {n: con.execute(f"SELECT current_setting('{n}')").fetchall()[0][0] for n in names}


def test_read_and_write_connections_carry_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONCALL_MEMORY_LIMIT", raising=False)
    store = Store(tmp_path / "s.duckdb")
    with store.write() as con:
        written = _settings(con)
    with store.read() as con:
        read = _settings(con)
    for seen in (written, read):
        assert seen["enable_progress_bar"] is False
        # 800MB is what DuckDB shows as 762.9 MiB; its own default is most of the machine.
        assert seen["memory_limit"] == "762.9 MiB"
        assert seen["temp_directory"] == str(tmp_path / "s.duckdb.tmp")


def test_the_memory_limit_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCALL_MEMORY_LIMIT", "300MB")
    store = Store(tmp_path / "s.duckdb")
    with store.read() as con:
        assert _settings(con)["memory_limit"] == "286.1 MiB"


def test_a_query_past_the_limit_spills_beside_the_store_and_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCALL_MEMORY_LIMIT", "40MB")
    store = Store(tmp_path / "s.duckdb")
    with store.write() as con:
        con.execute("CREATE TABLE big AS SELECT range AS i, hash(range) AS h FROM range(4000000)")
        # A window over 4M pairs sorted (about 100 MB) cannot stay within 40 MB: it spills.
        rows = con.execute(
            "SELECT sum(i * r) FROM (SELECT i, row_number() OVER (ORDER BY h) AS r FROM big)"
        ).fetchall()
        spilled = spill_path(store.path).is_dir()
    assert rows[0][0] is not None
    assert spilled, "the sort did not spill beside the store"
    assert not spill_path(store.path).exists()


def test_a_spill_folder_that_was_there_before_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCALL_MEMORY_LIMIT", "40MB")
    store = Store(tmp_path / "s.duckdb")
    spill = spill_path(store.path)
    spill.mkdir()
    (spill / "mine.txt").write_text("not oncall's")
    with store.write() as con:
        con.execute("CREATE TABLE big AS SELECT range AS i, hash(range) AS h FROM range(4000000)")
        con.execute(
            "SELECT sum(i * r) FROM (SELECT i, row_number() OVER (ORDER BY h) AS r FROM big)"
        ).fetchall()
        assert len(list(spill.iterdir())) > 1
    assert (spill / "mine.txt").read_text() == "not oncall's"
