"""Reading production files: format detection, column discovery and source expressions.

Only names that are declared (and so passed the identifier check) are ever referenced
in SQL; CSV columns get positional names ``c0, c1, …`` so that header text from a
user's file never enters a statement.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from tui.core.errors import InputError
from tui.core.ingest.snapshot import FileUnreadable
from tui.core.store.connection import fetch_rows
from tui.core.store.sqlparts import Fragment, ident, raw

Format = Literal["parquet", "csv", "json"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "json")
_EXTENSIONS: dict[str, Format] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
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


def detect_format(path: Path, override: str | None) -> Format:
    """The file's format: the one asked for, else the one its extension names."""
    if override:
        for known in FORMATS:
            if override == known:
                return known
        raise InputError(
            f"the format must be one of {', '.join(FORMATS)}, got {override!r}", field="format"
        )
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            "use .parquet, .csv or .jsonl, or name the format",
            field="format",
        )
    return fmt


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

    @property
    def source(self) -> Path:
        """The file the readers open: the private snapshot when there is one."""
        return self.read_path or self.path

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
            return f"line {csv_line(self.source, row_no)}"
        if self.format == "json":
            return f"line {row_no}"
        return f"row {row_no}"


def csv_line(path: Path, row_no: int) -> int:
    """The physical line where 1-based data row ``row_no`` of a CSV file starts: a
    quoted value may span lines, so a row's number and its line can differ."""
    fallback = row_no + 1
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.reader(handle)
            for _ in range(row_no):  # the header and the rows before this one
                next(reader)
            return reader.line_num + 1
    except (StopIteration, csv.Error, OSError):
        return fallback


_HEADER_LIMIT = 1 << 24
# Column names become identifiers in the store: longer than this is not a name.
_NAME_LIMIT = 1000


def _csv_header(path: Path, source: Path) -> list[str]:
    try:
        # utf-8-sig: a byte-order mark is not part of the first column's name.
        with source.open(newline="", encoding="utf-8-sig") as handle:
            first = handle.readline(_HEADER_LIMIT)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; CSV files must be UTF-8") from None
    except OSError as exc:
        raise FileUnreadable(f"{path}: cannot read the file: {exc.strerror or exc}") from None
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
    con: duckdb.DuckDBPyConnection, path: Path, fmt: Format, *, read_path: Path | None = None
) -> FileShape:
    """Find a file's columns and types; raise InputError if it cannot be read.

    ``path`` names the file in messages; ``read_path`` (default ``path``) is the file
    actually read, normally the private snapshot.
    """
    source = read_path or path
    if not source.exists():
        raise InputError(f"{path}: no such file")
    if not source.is_file():
        raise InputError(f"{path}: not a file")
    if source.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    if fmt == "csv":
        names = _csv_header(path, source)
        struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
        cols = {n: FileColumn(n, "VARCHAR", f"c{i}") for i, n in enumerate(names)}
        return FileShape(path, fmt, cols, raw("{" + struct + "}"), read_path)
    query = "file_columns_parquet" if fmt == "parquet" else "file_columns_json"
    try:
        if fmt == "parquet":
            schema = fetch_rows(con, "file_schema_parquet", {"path": str(source)})
            _refuse_duplicate_names(path, _top_level_names(schema))
        rows = fetch_rows(con, query, {"path": str(source)})
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: cannot read as {fmt}: {_clean(exc, path, source)}; nothing was written"
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
    return FileShape(path, fmt, cols, None, read_path)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.split("\n\nLINE ")[0].split("\n  file = ")[0].strip()


# Pieces of DuckDB messages that quote the file's contents: a message must never show
# them, since the "file" may be a link to something unrelated (a key, a password file).
_ECHOES = (
    re.compile(r"Original Line: .*"),
    re.compile(r"Object \{.*\} has", re.DOTALL),
    re.compile(r"(value|string|input) [\"'].*?[\"'](?= |$)", re.IGNORECASE),
)
_MESSAGE_LIMIT = 240


def _clean(exc: BaseException, path: Path, source: Path) -> str:
    """The first line of a DuckDB error, naming ``path`` (never the private snapshot)
    and without any text quoted from the file."""
    text = _first_line(exc)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("Original Line")]
    text = lines[0] if lines else "unreadable"
    text = text.replace(str(source), str(path))
    text = _ECHOES[1].sub("an object has", text)
    text = _ECHOES[2].sub(lambda m: m.group(1), text)
    if len(text) > _MESSAGE_LIMIT:
        text = text[:_MESSAGE_LIMIT] + "…"
    return text


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CSV_REASONS = (
    ("unterminated quote", "a quoted value is not closed"),
    ("Invalid unicode", "not UTF-8 text; CSV files must be UTF-8"),
    ("quote", "a quote in the wrong place"),
)


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
        detail = reason or _clean(exc, path, shape.source)
        return InputError(f"{path}: {where}: {detail}; nothing was written")
    return InputError(f"{path}: {_clean(exc, path, shape.source)}; nothing was written")
