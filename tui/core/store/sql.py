"""Running named queries on a connection: bound parameters, checked fragments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import duckdb

from tui.core.errors import StoreError
from tui.core.store.queries import query
from tui.core.store.sqlparts import Fragment

if TYPE_CHECKING:
    import polars as pl

Params = Mapping[str, Any]


def _prepare(
    name: str, params: Params, fragments: dict[str, Fragment]
) -> tuple[str, dict[str, Any]]:
    """The filled SQL and the parameters it uses; every declared one must be supplied."""
    q = query(name)
    missing = set(q.params) - set(params)
    extra = set(params) - set(q.params)
    if missing or extra:
        raise StoreError(
            f"query {name}: parameters missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    text = q.sql(**fragments)
    used = q.used_params(text)
    return text, {k: v for k, v in params.items() if k in used}


def execute(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params | None = None,
    **fragments: Fragment,
) -> None:
    """Run a named statement with bound parameters."""
    text, bound = _prepare(name, params or {}, fragments)
    # DuckDB 2 refuses the next statement until a result is read to the end.
    con.execute(text, bound or None).fetchall()


def fetch(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params | None = None,
    **fragments: Fragment,
) -> pl.DataFrame:
    """Run a named query with bound parameters and return its rows as a polars DataFrame."""
    text, bound = _prepare(name, params or {}, fragments)
    # `.pl()` imports polars, only when a query's answer is wanted as a frame: commands
    # that never ask (`alerts list`) start without it.
    frame: pl.DataFrame = con.sql(text, params=bound or None).pl()
    return frame


def fetch_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Params | None = None,
    **fragments: Fragment,
) -> list[dict[str, Any]]:
    """Like :func:`fetch`, as a list of dicts (for small results)."""
    text, bound = _prepare(name, params or {}, fragments)
    cursor = con.execute(text, bound or None)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
