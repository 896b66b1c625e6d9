"""The files beside a store: its WAL, the outbox, the id marks; all private (0600).

The marks file remembers, outside DuckDB, the change counter and the last id each
sequence handed out after every commit. A WAL cut short loses its last commits and
rolls the sequences back with them; the marks survive, so the next write skips past
ids already shown to someone and `oncall doctor` can say that commits were lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRIVATE = 0o600

_umask_lock = threading.Lock()
_umask_depth = 0
_umask_saved = 0


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files created inside are readable by their owner only (umask 077, re-entrant and
    shared by threads: the process's umask is put back when the last one leaves)."""
    global _umask_depth, _umask_saved
    with _umask_lock:
        if _umask_depth == 0:
            old = os.umask(0o077)
            os.umask(old | 0o077)
            _umask_saved = old
        _umask_depth += 1
    try:
        yield
    finally:
        with _umask_lock:
            _umask_depth -= 1
            if _umask_depth == 0:
                os.umask(_umask_saved)


def wal_path(store_path: Path) -> Path:
    """DuckDB's write-ahead log beside the store."""
    return store_path.with_name(store_path.name + ".wal")


def outbox_path_for(store_path: Path) -> Path:
    """The outbox file beside the store (actions waiting for a busy store)."""
    return store_path.with_name(f".{store_path.name}.outbox.jsonl")


def marks_path(store_path: Path) -> Path:
    """The id marks beside the store."""
    return store_path.with_name(f".{store_path.name}.marks.json")


@dataclass
class Marks:
    """What the store held after its last commit, as seen from outside it."""

    changes: int = 0
    sequences: dict[str, int] = field(default_factory=dict)
    # Commits found missing by a later write: [{"noticed_at", "changes_lost", ...}].
    losses: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"changes": self.changes, "sequences": self.sequences, "losses": self.losses}


def read_marks(store_path: Path) -> Marks | None:
    """The marks, or None when there are none (or they cannot be read)."""
    try:
        data = json.loads(marks_path(store_path).read_text(encoding="utf-8"))
        return Marks(
            changes=int(data.get("changes", 0)),
            sequences={str(k): int(v) for k, v in dict(data.get("sequences", {})).items()},
            losses=list(data.get("losses", [])),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def write_private(path: Path, data: bytes) -> None:
    """Write a file atomically (temp name, fsync, rename), mode 0600."""
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_marks(store_path: Path, marks: Marks) -> None:
    """Replace the marks file."""
    write_private(marks_path(store_path), json.dumps(marks.to_json()).encode())
