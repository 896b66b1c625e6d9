"""The Parquet files of a lake source on this machine: what is there, when each was
last written, and which days its predictions span (read from the file's own `ts`
statistics, so a late row filed under the next day's partition is not missed; the Hive
partition's day, ``.../date=2026-11-01/``, when a file keeps no statistics)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.config.lake import is_table
from tui.core.lake.aggregates import LakeError

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# A partition directory naming a day: date=, day=, dt= or ds= and an ISO date.
_DAY = re.compile(r"^(?:date|day|dt|ds)=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LakeFile:
    """One Parquet file: its path, modification time (ns), size, and for predictions its
    rows and the first and last day they span (None: unknown)."""

    path: str
    mtime_ns: int
    size: int
    rows: int | None = None
    first_day: datetime | None = None
    last_day: datetime | None = None

    def days(self) -> list[datetime] | None:
        """Every day the file's rows span; None when unknown."""
        if self.rows == 0:
            return []
        if self.first_day is None or self.last_day is None:
            return None
        span = (self.last_day - self.first_day).days
        return [self.first_day + timedelta(days=i) for i in range(span + 1)]


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


def _day(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:  # a UTC-adjusted timestamp: its UTC day
        value = value.astimezone(UTC).replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def footer(path: Path, where: str) -> pq.FileMetaData:
    """A Parquet file's footer; a LakeError naming the file when it is not one (damaged,
    truncated, or still being written), said before any engine starts and in our words."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata
    except Exception:  # pyarrow's text (an ArrowInvalid, an OSError) is not shown
        raise LakeError(
            f"{where}: {path} is not a readable Parquet file (damaged, truncated, or "
            "still being written?)"
        ) from None


def ts_days(meta: pq.FileMetaData) -> tuple[int | None, datetime | None, datetime | None]:
    """A predictions file's rows and the first and last day of its `ts`, from its
    footer (no rows read); None for what the footer does not say."""
    if meta.num_rows == 0:
        return 0, None, None
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if "ts" not in names:
        return meta.num_rows, None, None
    index = names.index("ts")
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(index).statistics
        if meta.row_group(g).num_rows == 0:
            continue
        if stats is None or not stats.has_min_max:
            return meta.num_rows, None, None
        lows.append(_day(stats.min))
        highs.append(_day(stats.max))
    if not lows or None in lows or None in highs:
        return meta.num_rows, None, None
    return meta.num_rows, min(d for d in lows if d), max(d for d in highs if d)


def list_files(location: str, where: str, *, required: bool) -> list[LakeFile] | None:
    """Every Parquet file of a local source (a file, or a folder searched recursively;
    Spark's and Hive's hidden `_`/`.` files skipped), sorted; None when the source is
    not a local path. Predictions files (`required`) carry the days they span. A
    LakeError names `where` when the path is missing, when `required` and it holds no
    Parquet file, or when a file is not readable Parquet."""
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
        meta = footer(p, where)  # every file, labels too: a damaged one is named here
        rows = first = last = None
        if required:
            rows, first, last = ts_days(meta)
            if first is None and rows != 0:
                first = last = partition_day(p)
        out.append(LakeFile(str(p), stat.st_mtime_ns, stat.st_size, rows, first, last))
    return out
