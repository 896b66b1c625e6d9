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
    def numeric(self) -> bool:
        return self.type.upper().startswith(_NUMERIC_TYPES)

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
            return f"line {row_no + 1}"
        if self.format == "json":
            return f"line {row_no}"
        return f"row {row_no}"


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            first = handle.readline()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; CSV files must be UTF-8") from None
    if not first.strip():
        raise InputError(f"{path}: empty file: expected a header line and at least one row")
    header = next(csv.reader([first]))
    names = [h.strip() for h in header]
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            raise InputError(f"{path}: line 1: column {index + 1} has an empty name")
        if name in seen:
            raise InputError(f"{path}: line 1: column {name!r} appears twice in the header")
        seen.add(name)
    return names


def inspect_file(con: duckdb.DuckDBPyConnection, path: Path, fmt: Format) -> FileShape:
    """Find a file's columns and types; raise InputError if it cannot be read."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    if fmt == "csv":
        names = _csv_header(path)
        struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
        cols = {n: FileColumn(n, "VARCHAR", f"c{i}") for i, n in enumerate(names)}
        return FileShape(path, fmt, cols, raw("{" + struct + "}"))
    query = "file_columns_parquet" if fmt == "parquet" else "file_columns_json"
    try:
        rows = fetch_rows(con, query, {"path": str(path)})
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: cannot read as {fmt}: {_first_line(exc)}; nothing was written"
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
    return FileShape(path, fmt, cols, None)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.split("\n\nLINE ")[0].split("\n  file = ")[0].strip()


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CSV_ORIGINAL = re.compile(r"Original Line: (.*)")


def reader_error(path: Path, exc: BaseException) -> InputError:
    """A DuckDB reader error turned into a message that names the file and line."""
    text = str(exc)
    line = _CSV_LINE.search(text)
    counts = _CSV_COUNTS.search(text)
    if line and counts:
        original = _CSV_ORIGINAL.search(text)
        shown = f": {original.group(1).strip()[:120]!r}" if original else ""
        return InputError(
            f"{path}: line {line.group(1)}: expected {counts.group(1)} columns, found "
            f"{counts.group(2)}{shown}; nothing was written"
        )
    if line:
        return InputError(
            f"{path}: line {line.group(1)}: {_first_line(exc).splitlines()[0]}; nothing was written"
        )
    return InputError(f"{path}: {_first_line(exc)}; nothing was written")
