"""The store: migrations, the change counter, rollback, and waiting for another process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests.helpers import churn_frame, cli, count, oncall_subprocess
from tui.core.errors import StoreBusyError, StoreError
from tui.core.store.connection import Store, error_log_path, fetch_rows
from tui.core.store.queries import migrations


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.ensure()
    Store(tmp_path / "s.duckdb").ensure()
    with store.read() as con:
        rows = con.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == [v for v, _, _ in migrations()]
    assert rows[0][1] == "foundation"


def test_every_write_bumps_the_change_counter(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.ensure()
    before = store.changes()
    with store.write() as con:
        con.execute(
            "INSERT INTO shifts VALUES (99, 'a', 'primary', NULL, now()::TIMESTAMP, NULL, 'live')"
        )
    assert store.changes() == before + 1


def test_a_failed_statement_rolls_back_the_whole_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.ensure()
    before = store.changes()
    with pytest.raises(StoreError, match="nothing was changed"), store.write() as con:
        con.execute(
            "INSERT INTO shifts VALUES (1, 'a', 'primary', NULL, now()::TIMESTAMP, NULL, 'live')"
        )
        con.execute(
            "INSERT INTO shifts VALUES ('not a number', 'a', 'primary', NULL, NULL, NULL, 'live')"
        )
    with store.read() as con:
        assert fetch_rows(con, "summary_counts")[0]["shifts"] == 0
    assert store.changes() == before


def test_an_exception_in_python_rolls_back_too(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.ensure()
    with pytest.raises(KeyError), store.write() as con:
        con.execute(
            "INSERT INTO shifts VALUES (1, 'a', 'primary', NULL, now()::TIMESTAMP, NULL, 'live')"
        )
        raise KeyError("boom")
    assert count(tmp_path / "s.duckdb", "SELECT count(*) FROM shifts") == 0


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_busy_store_past_the_deadline_names_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).ensure()
    holder = _hold(db, 10)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as info, Store(db, timeout=0.5).read():
            pass
        assert time.monotonic() - started < 5
        assert info.value.holder_pid == holder.pid
        assert f"store busy: held by PID {holder.pid}" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_ingest_waits_for_the_holder_then_succeeds(project: Path) -> None:
    data = project / "p.parquet"
    churn_frame(50).write_parquet(data)
    db = project / "store.duckdb"
    Store(db).ensure()
    holder = _hold(db, 60)
    script = Path(sys.executable).parent / "oncall"
    ingest = subprocess.Popen(
        [str(script), "ingest", "predictions", str(data), "--model", "churn"],
        cwd=project,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert ingest.stderr is not None
    try:
        # Released only once the ingest says it is waiting, however slow its start-up.
        said = ingest.stderr.readline()
        assert f"held by PID {holder.pid}" in said, said
    finally:
        holder.kill()
        holder.wait()
    _out, rest = ingest.communicate(timeout=120)
    assert ingest.returncode == 0, said + rest
    assert count(db, "SELECT count(*) FROM predictions") == 50


def test_ingest_with_a_short_timeout_exits_75_naming_the_holder(project: Path) -> None:
    data = project / "p.parquet"
    churn_frame(50).write_parquet(data)
    db = project / "store.duckdb"
    Store(db).ensure()
    holder = _hold(db, 30)
    try:
        result = oncall_subprocess(
            "ingest", "predictions", data, "--model", "churn", "--timeout", "1", cwd=project
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 75
    assert f"store busy: held by PID {holder.pid}" in result.err
    assert result.out == ""
    assert count(db, "SELECT count(*) FROM predictions") == 0


def test_crash_mid_ingest_leaves_no_partial_rows_and_a_rerun_completes(project: Path) -> None:
    """SIGKILL while a large file is being written: no rows of it survive."""
    import polars as pl

    data = project / "big.parquet"
    big = pl.concat([churn_frame(100_000, start_id=k * 100_000) for k in range(20)])
    big.write_parquet(data)
    # Two million minutes span four years: "now" is after the last, and the believable
    # window (ingest.max_past before now) reaches back to the first.
    now = {"ONCALL_NOW": "2030-10-01T00:00:00", "ONCALL_USER": "alice"}
    (project / "oncall.yaml").write_text(
        (project / "oncall.yaml").read_text() + "ingest: {max_past: 1500d}\n"
    )
    db = project / "store.duckdb"
    script = Path(sys.executable).parent / "oncall"
    killed_while_writing = False
    for delay in (0.6, 0.9, 1.2, 1.6, 2.0):
        proc = subprocess.Popen(
            [str(script), "ingest", "predictions", str(data), "--model", "churn"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **now},
        )
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.kill()
        proc.wait()
        if finished:
            break
        killed_while_writing = True
        if db.exists():
            assert count(db, "SELECT count(*) FROM predictions") in (0, 2_000_000)
            assert count(db, "SELECT count(*) FROM ingest_log") in (0, 1)
    assert killed_while_writing, "the ingest finished before any kill; make the file larger"
    result = oncall_subprocess(
        "ingest", "predictions", data, "--model", "churn", cwd=project, env=now
    )
    assert result.code == 0, result.err
    assert count(db, "SELECT count(*) FROM predictions") == 2_000_000
    assert count(db, "SELECT count(DISTINCT prediction_id) FROM predictions") == 2_000_000


def test_store_tables_are_readable_by_any_duckdb_client(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = project / "p.parquet"
    churn_frame(10).write_parquet(data)
    assert cli(capsys, "ingest", "predictions", data, "--model", "churn").code == 0
    con = duckdb.connect(str(project / "store.duckdb"), read_only=True)
    cols = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'predictions'"
        ).fetchall()
    )
    con.close()
    assert cols["spend"] == "DOUBLE"
    assert cols["plan"] == "VARCHAR"
    assert cols["segment"] == "VARCHAR"
    assert cols["ts"] == "TIMESTAMP"
    assert {"model", "prediction_id", "prediction", "score", "model_version"} <= set(cols)


def test_a_running_read_can_be_interrupted(tmp_path: Path) -> None:
    import threading

    from tui.core.errors import QueryCancelled

    store = Store(tmp_path / "s.duckdb")
    store.ensure()
    failure: list[BaseException] = []

    def long_read() -> None:
        try:
            with store.read() as con:
                con.execute("SELECT sum(range) FROM range(100000000000)").fetchall()
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=long_read)
    worker.start()
    for _ in range(100):
        time.sleep(0.05)
        if store.interrupt():
            break
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert failure and isinstance(failure[0], QueryCancelled)


def test_a_failing_query_says_what_failed_without_the_databases_text(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store = Store(db)
    for block in (store.read, store.write):
        with pytest.raises(StoreError) as info, block() as con:
            con.execute("SELECT no_such_column FROM predictions")
        said = str(info.value)
        assert "Binder" not in said and "no_such_column" not in said, said
        assert "failed inside oncall" in said and str(error_log_path(db)) in said
    logged = error_log_path(db).read_text(encoding="utf-8")
    assert "a query: BinderException" in logged and "a write (nothing" in logged, logged
    assert error_log_path(db).stat().st_mode & 0o077 == 0
