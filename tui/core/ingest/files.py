"""Reading production files: format detection, column discovery and source expressions.

Only names that are declared (and so passed the identifier check) are ever referenced
in SQL; CSV columns get positional names ``c0, c1, …`` so that header text from a
user's file never enters a statement.

A folder, a Hive-partitioned tree (``preds/region=EU/dt=2026-11-20/part-0.parquet``) or
a ``--glob`` pattern is walked here, by our own code (``os.scandir`` and ``fnmatch``),
never handed to DuckDB as a glob. A ``key=value`` folder name becomes a text column
only when ``key`` is a column the contract reads and the file lacks: when the file has
the column too, the file's value wins (a row knows itself better than its folder), and
the path's value is ignored. Values are %-decoded; ``__HIVE_DEFAULT_PARTITION__`` is
null. They reach SQL only as the bound ``$partition`` list.

CSV and JSON lines may be gzip (``.gz``) or zstd (``.zst``) compressed; the header checks
read the decompressed head (gzip in Python, zstd through DuckDB, since Python 3.11's
standard library has no zstd).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

import duckdb

from tui.core.errors import InputError
from tui.core.ingest.snapshot import FileUnreadable
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import Fragment, ident, raw

Format = Literal["parquet", "csv", "json"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "json")
Compression = Literal["gzip", "zstd"]
_EXTENSIONS: dict[str, Format] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
# Text formats may come compressed; Parquet compresses inside the file.
_COMPRESSIONS: dict[str, Compression] = {".gz": "gzip", ".zst": "zstd"}
_COMPRESSION_SUFFIX: dict[Compression, str] = {"gzip": ".gz", "zstd": ".zst"}
_NUMERIC_TYPES = (
    "DOUBLE",
    "FLOAT",
    "REAL",
    "DECIMAL",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UBIGINT",
    "UINTEGER",
    "USMALLINT",
    "UTINYINT",
)


def compression_of(path: Path) -> Compression | None:
    """How a CSV or JSON-lines file is compressed, by its last extension (``.gz``,
    ``.zst``), or None for a plain file."""
    return _COMPRESSIONS.get(path.suffix.lower())


def _format_suffix(path: Path) -> str:
    """The extension that names the format: the one before ``.gz``/``.zst`` if any."""
    if compression_of(path) is not None:
        return Path(path.stem).suffix
    return path.suffix


def known_format(path: Path) -> Format | None:
    """The format the file's extension names (``.csv``, ``.jsonl.gz``…), or None."""
    fmt = _EXTENSIONS.get(_format_suffix(path).lower())
    if fmt == "parquet" and compression_of(path) is not None:
        return None  # a Parquet file compresses inside; a .parquet.gz is no reader's input
    return fmt


def detect_format(path: Path, override: str | None) -> Format:
    """The file's format: the one asked for, else the one its extension names."""
    if override:
        for known in FORMATS:
            if override == known:
                if known == "parquet" and compression_of(path) is not None:
                    raise InputError(
                        f"{path}: a Parquet file cannot be compressed as a whole "
                        f"({path.suffix}); Parquet compresses inside the file",
                        field="format",
                    )
                return known
        raise InputError(
            f"the format must be one of {', '.join(FORMATS)}, got {override!r}", field="format"
        )
    fmt = known_format(path)
    if fmt is None:
        suffix = "".join(path.suffixes[-2:]) if compression_of(path) else path.suffix
        raise InputError(
            f"{path}: cannot tell the format from the extension {suffix!r}; "
            "use .parquet, .csv or .jsonl (.csv and .jsonl may end in .gz or .zst), "
            "or name the format",
            field="format",
        )
    return fmt


def snapshot_suffix(fmt: Format, compression: Compression | None) -> str:
    """The private copy's extension: DuckDB's readers tell compression from it."""
    return f".{fmt}" + (_COMPRESSION_SUFFIX[compression] if compression else "")


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileColumn:
    """A column found in a file: its name there, its type, and how SQL refers to it."""

    name: str
    type: str
    ref: str  # SQL expression for the raw value

    @property
    def nested(self) -> bool:
        """A list, array, struct, map or union: never a single value per row."""
        kind = self.type.upper()
        return "[" in kind or kind.startswith(("STRUCT", "MAP", "UNION"))

    @property
    def numeric(self) -> bool:
        return not self.nested and self.type.upper().startswith(_NUMERIC_TYPES)

    @property
    def boolean(self) -> bool:
        """A true/false column: stored as 'true'/'false' for a categorical feature and
        1.0/0.0 for a numeric one."""
        return self.type.upper() == "BOOLEAN"

    @property
    def fractional(self) -> bool:
        return self.type.upper().startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL"))

    @property
    def text(self) -> bool:
        return self.type.upper() in ("VARCHAR", "JSON")


@dataclass(frozen=True)
class FileShape:
    """What a file holds, found before anything is staged."""

    path: Path
    format: Format
    columns: dict[str, FileColumn]
    csv_columns: Fragment | None  # the read_csv `columns=` struct, positional names
    # The private snapshot DuckDB reads; `path` is only ever shown to people.
    read_path: Path | None = None
    compression: Compression | None = None
    # Values of Hive partition columns (``region=EU`` in the path), bound as the
    # readers' `$partition` list; their FileColumns refer to it by position.
    partition: tuple[str | None, ...] = ()

    @property
    def source(self) -> Path:
        """The file the readers open: the private snapshot when there is one."""
        return self.read_path or self.path

    def reader_params(self, **params: object) -> dict[str, object]:
        """The bound parameters of this file's reader query, plus ``params``."""
        return {"path": str(self.source), "partition": list(self.partition), **params}

    def reader_fragments(self, **fragments: Fragment) -> dict[str, Fragment]:
        """Fragments for this file's reader query: CSV adds its positional columns."""
        if self.csv_columns is not None:
            fragments["csv_columns"] = self.csv_columns
        return fragments

    def reader_query(self, stage: bool) -> str:
        prefix = "stage_" if stage else "probe_"
        return prefix + self.format

    def line_of(self, row_no: int) -> str:
        """How to name a 1-based data row to a person: a line for text files."""
        if self.format == "csv":
            return f"line {csv_line(self.source, row_no, self.compression)}"
        if self.format == "json":
            return f"line {row_no}"
        return f"row {row_no}"


def _open_text(path: Path, compression: Compression | None, errors: str = "strict") -> TextIO:
    """``path`` as UTF-8 text (a byte-order mark dropped), decompressed if gzip."""
    # utf-8-sig: a byte-order mark is not part of the first column's name.
    if compression == "gzip":
        return gzip.open(path, "rt", newline="", encoding="utf-8-sig", errors=errors)
    return path.open(newline="", encoding="utf-8-sig", errors=errors)


def csv_line(path: Path, row_no: int, compression: Compression | None = None) -> int:
    """The physical line where 1-based data row ``row_no`` of a CSV file starts: a
    quoted value may span lines, so a row's number and its line can differ."""
    fallback = row_no + 1
    if compression == "zstd":
        # Python 3.11 cannot decompress zstd: the row's number stands for its line.
        return fallback
    try:
        with _open_text(path, compression, errors="replace") as handle:
            reader = csv.reader(handle)
            for _ in range(row_no):  # the header and the rows before this one
                next(reader)
            return reader.line_num + 1
    except (StopIteration, csv.Error, OSError, EOFError, zlib.error):
        return fallback


_HEADER_LIMIT = 1 << 24
# Column names become identifiers in the store: longer than this is not a name.
_NAME_LIMIT = 1000


def _zstd_head(con: duckdb.DuckDBPyConnection, path: Path, source: Path) -> str:
    """The first line of a zstd-compressed text file, decompressed by DuckDB (Python
    3.11's standard library has no zstd, and one header line needs no new dependency)."""
    try:
        rows = fetch_rows(con, "probe_csv_head", {"path": str(source)})
    except duckdb.Error as exc:
        if "unicode" in str(exc).lower():
            raise InputError(f"{path}: not UTF-8 text; CSV files must be UTF-8") from None
        raise InputError(
            f"{path}: not a complete zstd file (its name ends in .zst); nothing was written"
        ) from None
    if not rows or rows[0]["line"] is None:
        return ""
    return str(rows[0]["line"]) + "\n"


def _read_head(
    con: duckdb.DuckDBPyConnection, path: Path, source: Path, compression: Compression | None
) -> str:
    """The first line of a CSV file as text, after decompression."""
    if compression == "zstd":
        return _zstd_head(con, path, source)
    try:
        with _open_text(source, compression) as handle:
            return handle.readline(_HEADER_LIMIT)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; CSV files must be UTF-8") from None
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise InputError(
            f"{path}: not a complete gzip file (its name ends in .gz); nothing was written"
        ) from None
    except OSError as exc:
        raise FileUnreadable(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def _csv_header(
    con: duckdb.DuckDBPyConnection, path: Path, source: Path, compression: Compression | None
) -> list[str]:
    first = _read_head(con, path, source, compression)
    if len(first) >= _HEADER_LIMIT and not first.endswith("\n"):
        raise InputError(f"{path}: line 1: the header line is longer than 16 MB")
    if not first.strip():
        raise InputError(f"{path}: empty file: expected a header line and at least one row")
    try:
        header = next(csv.reader([first]))
    except csv.Error:
        # The csv module stops at 131,072 characters a field: no real column name is that long.
        raise InputError(
            f"{path}: line 1: a column name in the header is longer than "
            f"{csv.field_size_limit():,} characters; is this a CSV file with a header line?"
        ) from None
    names = [h.strip() for h in header]
    for index, name in enumerate(names):
        if len(name) > _NAME_LIMIT:
            raise InputError(
                f"{path}: line 1: column {index + 1}'s name is {len(name):,} characters long; "
                f"at most {_NAME_LIMIT:,} are allowed"
            )
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            raise InputError(f"{path}: line 1: column {index + 1} has an empty name")
        if name in seen:
            raise InputError(
                f"{path}: line 1: column {shown_name(name)} appears twice in the header; "
                "nothing was written"
            )
        seen.add(name)
    return names


def shown_name(name: str, limit: int = 40) -> str:
    """A column name as a message shows it: quoted, and cut short if long."""
    return repr(name if len(name) <= limit else name[:limit] + "…")


def _top_level_names(rows: list[dict[str, object]]) -> list[str]:
    """The top-level column names of a Parquet schema listing (root first, each
    element followed by its subtree), as the file spells them."""
    names: list[str] = []
    i = 1
    while i < len(rows):
        names.append(str(rows[i]["name"]))
        # Skip this element's whole subtree.
        pending = int(str(rows[i]["num_children"] or 0))
        i += 1
        while pending and i < len(rows):
            pending += int(str(rows[i]["num_children"] or 0)) - 1
            i += 1
    return names


def _refuse_duplicate_names(path: Path, names: list[str]) -> None:
    # DuckDB names are case-insensitive: it would rename the second `score` (or
    # `Score`) to `score_1` and the first one would be used silently.
    seen: set[str] = set()
    for name in names:
        key = name.lower()
        if key in seen:
            raise InputError(
                f"{path}: column {shown_name(name)} appears twice in the file (names are "
                "compared ignoring case); nothing was written"
            )
        seen.add(key)


def inspect_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: Format,
    *,
    read_path: Path | None = None,
    compression: Compression | None = None,
    partition: dict[str, str | None] | None = None,
    wanted: set[str] | None = None,
) -> FileShape:
    """Find a file's columns and types; raise InputError if it cannot be read.

    ``path`` names the file in messages; ``read_path`` (default ``path``) is the file
    actually read, normally the private snapshot. ``partition`` holds the Hive
    ``key=value`` parts of the file's path: a key among ``wanted`` (the columns the
    contract reads) that the file lacks becomes a text column; when the file has the
    column too, the file's own value wins (it is the row's, the path is the folder's).
    """
    source = read_path or path
    if not source.exists():
        raise InputError(f"{path}: no such file")
    if not source.is_file():
        raise InputError(f"{path}: not a file")
    if source.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    if fmt == "csv":
        names = _csv_header(con, path, source, compression)
        struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
        cols = {n: FileColumn(n, "VARCHAR", f"c{i}") for i, n in enumerate(names)}
        values = _partition_columns(cols, partition or {}, wanted or set())
        return FileShape(path, fmt, cols, raw("{" + struct + "}"), read_path, compression, values)
    query = "file_columns_parquet" if fmt == "parquet" else "file_columns_json"
    try:
        if fmt == "parquet":
            schema = fetch_rows(con, "file_schema_parquet", {"path": str(source)})
            _refuse_duplicate_names(path, _top_level_names(schema))
        rows = fetch_rows(con, query, {"path": str(source)})
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: cannot read as {fmt}: {_plain(exc, fmt)}; nothing was written"
        ) from None
    cols = {}
    for row in rows:
        name = str(row["column_name"])
        try:
            ref = ident(name)
        except ValueError:
            # An oddly named column cannot be declared, so it is only ever "unexpected".
            ref = "NULL"
        cols[name] = FileColumn(name, str(row["column_type"]), ref)
    values = _partition_columns(cols, partition or {}, wanted or set())
    return FileShape(path, fmt, cols, None, read_path, compression, values)


def _partition_columns(
    cols: dict[str, FileColumn], partition: dict[str, str | None], wanted: set[str]
) -> tuple[str | None, ...]:
    """Add the wanted partition keys the file lacks to ``cols`` (as references to the
    readers' bound `$partition` list); return the values that list holds."""
    present = {name.lower() for name in cols}
    values: list[str | None] = []
    for key, value in partition.items():
        if key not in wanted or key.lower() in present:
            continue
        values.append(value)
        # The reader queries expose the bound list as __oncall_partition (1-based).
        cols[key] = FileColumn(key, "VARCHAR", f"__oncall_partition[{len(values)}]")
    return tuple(values)


# What a readable file of each format is, said when DuckDB's reader refuses one.
_EXPECTED: dict[str, str] = {
    "csv": "UTF-8 text: a header line, then one row per line with the header's columns",
    "json": "one JSON object per line (JSON lines)",
    "parquet": "a whole Parquet file",
}
_JSON_AT = re.compile(r"Malformed JSON.*? in (line|record/value) (\d+)", re.DOTALL)


def _plain(exc: BaseException, fmt: str) -> str:
    """What is wrong with a file DuckDB's reader refused, in words of our own: never
    DuckDB's text, which names its internals ("Invalid Input Error", a thrift varint)
    and may quote the file (a link to something unrelated: a key, a password file)."""
    text = str(exc)
    if fmt == "parquet":
        if "magic bytes" in text.lower():
            return "not a Parquet file, or an incomplete one (it does not end with its footer)"
        return "a damaged Parquet file: its metadata or data cannot be decoded"
    if fmt == "json" and "malformed json" in text.lower():
        found = _JSON_AT.search(text)
        if found:
            # DuckDB counts one past the line (or array element) it stopped at.
            where = "line" if found.group(1) == "line" else "record"
            number = max(int(found.group(2)) - 1, 1)
            return f"{where} {number}: not valid JSON; expected {_EXPECTED['json']}"
        return f"not valid JSON; expected {_EXPECTED['json']}"
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return "not UTF-8 text"
    return f"expected {_EXPECTED.get(fmt, fmt)}"


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CSV_REASONS = (
    ("unterminated quote", "a quoted value is not closed"),
    ("Invalid unicode", "not UTF-8 text; CSV files must be UTF-8"),
    ("quote", "a quote in the wrong place"),
)


@contextmanager
def every_value_read(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Read a file with each row's own values judged, never the file's statistics.

    A Parquet file's min/max statistics leave NaN out, and DuckDB's statistics
    propagation then folds ``isnan(x)`` (and a NaN comparison) to false for every row:
    a NaN feature would be stored as NaN, not as missing, and a NaN score would pass."""
    # Ingest sets no other disabled optimizer, so a reset restores the default.
    con.execute("SET disabled_optimizers = 'statistics_propagation'")
    yield
    # Only after a read that worked: a failed one leaves the transaction aborted, where
    # any statement fails and would hide the reader's own error (the line it names);
    # that transaction is rolled back and its connection closed with it.
    con.execute("RESET disabled_optimizers")


def reader_error(shape: FileShape, exc: BaseException) -> InputError:
    """A DuckDB reader error turned into a message that names the file and line, and
    quotes nothing from it."""
    path = shape.path
    text = str(exc)
    line = _CSV_LINE.search(text)
    counts = _CSV_COUNTS.search(text)
    # DuckDB counts CSV records (the header is 1), not physical lines: a quoted value
    # spanning lines earlier in the file would shift every later number.
    where = shape.line_of(int(line.group(1)) - 1) if line and shape.format == "csv" else None
    if where and counts:
        return InputError(
            f"{path}: {where}: expected {counts.group(1)} columns, found "
            f"{counts.group(2)}; nothing was written"
        )
    if where:
        reason = next((r for mark, r in _CSV_REASONS if mark.lower() in text.lower()), None)
        detail = reason or _plain(exc, shape.format)
        return InputError(f"{path}: {where}: {detail}; nothing was written")
    return InputError(
        f"{path}: cannot read as {shape.format}: {_plain(exc, shape.format)}; nothing was written"
    )


# --- Folders, Hive trees and patterns: many files read as one ingest ---------------

# Spark's and Hive's "null" partition value.
