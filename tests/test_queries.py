"""Named queries: the loader's checks, and the queries inside the built wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tui.core.store.queries import QueryError, load_queries, parse_query, query
from tui.core.store.sqlparts import ident, raw


def test_every_query_file_is_indexed_with_a_header() -> None:
    found = load_queries()
    files = sorted(p.stem for p in (ROOT / "queries").glob("*.sql"))
    assert sorted(found) == files
    for q in found.values():
        assert q.doc, f"{q.name} has no description"
        assert q.returns, f"{q.name} declares no result columns"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(text)
    return path


def test_loader_refuses_bad_headers(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="missing `-- name:`"):
        parse_query(_write(tmp_path, "a", "SELECT 1"))
    with pytest.raises(QueryError, match="does not match the file name"):
        parse_query(_write(tmp_path, "b", "-- name: c\n-- x\n-- params: \n-- returns: x\nSELECT 1"))
    with pytest.raises(QueryError, match="params declared"):
        parse_query(_write(tmp_path, "d", "-- name: d\n-- params: a\n-- returns: x\nSELECT $b"))
    with pytest.raises(QueryError, match="fragments declared"):
        parse_query(_write(tmp_path, "e", "-- name: e\n-- params:\n-- returns: x\nSELECT {{f}}"))


def test_loader_refuses_duplicate_names(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _write(tmp_path, "a", "-- name: a\n-- doc\n-- params:\n-- returns: x\nSELECT 1")
    # A second file cannot share a stem in one folder, so fake it with a mismatched header
    _write(tmp_path, "b", "-- name: a\n-- doc\n-- params:\n-- returns: x\nSELECT 1")
    with pytest.raises(QueryError):
        load_queries(tmp_path)


def test_unknown_query_name_fails_fast() -> None:
    with pytest.raises(QueryError, match="unknown query 'no_such_query'"):
        query("no_such_query")


def test_fragments_only_take_checked_identifiers() -> None:
    assert ident("region") == '"region"'
    for bad in ['a"; DROP TABLE x; --', "a b", "1a", ""]:
        with pytest.raises(ValueError):
            ident(bad)
    q = query("predictions_add_column")
    with pytest.raises(QueryError, match="not a checked Fragment"):
        q.sql(table=raw("t"), column="x", column_type=raw("DOUBLE"))  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_built_wheel_contains_every_query_and_scenario(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("oncall-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    for path in (ROOT / "queries").rglob("*.sql"):
        assert f"tui/queries/{path.relative_to(ROOT / 'queries')}" in names
    assert "tui/scenarios/demo.yaml" in names
    # Load them from the unpacked wheel, away from the source tree.
    code = (
        "import tui, pathlib;"
        "from tui.core.store.queries import load_queries, migrations, queries_dir;"
        "from tui.sandbox.scenario import scenarios_dir;"
        "assert 'site' in tui.__file__, tui.__file__;"
        "print(len(load_queries()), len(migrations()), queries_dir(), scenarios_dir())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert int(out[0]) == len(list((ROOT / "queries").glob("*.sql")))
    assert int(out[1]) == len(list((ROOT / "queries" / "migrations").glob("*.sql")))
    assert out[2].startswith(str(tmp_path / "site"))
    assert out[3].startswith(str(tmp_path / "site"))
