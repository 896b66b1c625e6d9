"""Ids are never handed out twice, even when the store lost its last commits.

DuckDB keeps a sequence's position in the WAL: a WAL cut short loses the newest rows
and rolls the sequences back, so the next bug would get the id of a lost one that
someone may already have written down. Every write therefore first moves each
sequence past both the highest id in use and the last id recorded outside the store
(:mod:`tui.core.store.files`), and records the new positions after it commits.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tui.core.store.files import Marks, read_marks, write_marks
from tui.core.store.sql import fetch_rows


def sequences(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Each sequence's last handed-out value (0 before the first)."""
    return {
        str(r["sequence_name"]): int(r["last_value"] or 0)
        for r in fetch_rows(con, "store_sequences")
    }


def id_highs(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The highest id in use per sequence, from the rows."""
    return {str(r["sequence_name"]): int(r["high"] or 0) for r in fetch_rows(con, "store_id_highs")}


def changes(con: duckdb.DuckDBPyConnection) -> int:
    return int(fetch_rows(con, "store_changes")[0]["changes"])


def guard(con: duckdb.DuckDBPyConnection, store_path: Path) -> list[dict[str, Any]]:
    """Move every sequence past the ids already used (inside the write's transaction);
    returns a note of any commits found lost, for :func:`record`."""
    marks = read_marks(store_path)
    current = sequences(con)
    highs = id_highs(con)
    skipped: dict[str, list[int]] = {}
    for name, last in current.items():
        marked = marks.sequences.get(name, 0) if marks else 0
        target = max(marked, highs.get(name, 0))
        if target > last:
            fetch_rows(con, "store_sequence_advance", {"sequence_name": name, "n": target - last})
            if marked > last:
                skipped[name] = [last + 1, marked]
    if marks is None:
        return []
    lost = marks.changes - changes(con)
    if lost <= 0:  # ids skipped after a restore are expected, not a loss
        return []
    return [
        {
            "noticed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commits_lost": lost,
            "ids_skipped": skipped,
        }
    ]


def record(con: duckdb.DuckDBPyConnection, store_path: Path, losses: list[dict[str, Any]]) -> None:
    """After a commit: remember the change counter and the sequences outside the store.
    A failure here is not the write's: the marks are a safety net, kept best-effort."""
    with contextlib.suppress(OSError, duckdb.Error):
        old = read_marks(store_path) or Marks()
        now = sequences(con)
        merged = {k: max(v, old.sequences.get(k, 0)) for k, v in now.items()}
        write_marks(store_path, Marks(changes(con), merged, old.losses + losses))
