"""The Parquet files of a lake source on this machine: what is there, when each was
last written, and the day its Hive partition says it holds (``.../date=2026-11-01/``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tui.core.config.lake import is_table
from tui.core.lake.aggregates import LakeError

# A partition directory naming a day: date=, day=, dt= or ds= and an ISO date.
_DAY = re.compile(r"^(?:date|day|dt|ds)=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LakeFile:
    """One Parquet file: its path, modification time (ns), size and partition day."""

    path: str
    mtime_ns: int
    size: int
    day: datetime | None


def local_path(location: str) -> Path | None:
    """The local path a source names (a plain path or a file:// URL), or None for a
    table or a remote URL (s3a://, hdfs://: listed by the engine, not here)."""
    if is_table(location):
        return None
    if location.startswith("file://"):
        return Path(location.removeprefix("file://"))
    return None if "://" in location else Path(location)


def partition_day(path: Path) -> datetime | None:
    """The day a file's Hive partition names (the innermost such directory), or None."""
    for part in reversed(path.parent.parts):
        found = _DAY.match(part)
        if found:
            return datetime.fromisoformat(found.group(1))
    return None


def list_files(location: str, where: str, *, required: bool) -> list[LakeFile] | None:
    """Every Parquet file of a local source (a file, or a folder searched recursively;
    Spark's and Hive's hidden `_`/`.` files skipped), sorted; None when the source is
    not a local path. A LakeError names `where` when the path is missing, or when
    `required` and it holds no Parquet file."""
    path = local_path(location)
    if path is None:
        return None
    if not path.exists():
        raise LakeError(f"{where}: no such file or folder {path}")
    if path.is_file():
        found = [path]
    else:
        found = sorted(
            p
            for p in path.rglob("*.parquet")
            if p.is_file() and not any(s.startswith(("_", ".")) for s in p.relative_to(path).parts)
        )
    if required and not found:
        raise LakeError(f"{where}: no Parquet files under {path}")
    out = []
    for p in found:
        stat = p.stat()
        out.append(LakeFile(str(p), stat.st_mtime_ns, stat.st_size, partition_day(p)))
    return out
