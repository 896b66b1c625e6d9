"""Listings in the format a person or a pipe wants: a table, TSV, CSV or JSON.

Every listing command takes `--format table|tsv|csv|json` (and keeps `--json`, the same
as `--format json`). Rows go to stdout whatever the format; what is said about them
(counts, hints, "no alerts") goes to stderr. A table on a terminal fits the terminal;
piped, it is printed at its full width, never cut to 80 columns.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tui.cli.common import emit_json, out_console, safe_console
from tui.core.errors import UsageError
from tui.core.words import visible

if TYPE_CHECKING:
    from tui.cli.console import SafeConsole


class Format(StrEnum):
    """How a listing is printed."""

    table = "table"
    tsv = "tsv"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        help="table (default), tsv, csv or json; piped tables are never cut.",
        case_sensitive=False,
    ),
]

# Wide enough for any row: rich sizes a table to its content, so this only lifts the cap.
_PIPE_WIDTH = 10_000


def chosen(fmt: Format | None, as_json: bool) -> Format:
    """The format asked for: `--json` is `--format json`; both, if they disagree, is an
    error rather than a guess."""
    if as_json and fmt not in (None, Format.json):
        raise UsageError(f"--json and --format {fmt.value} disagree; give one", field="format")
    if as_json:
        return Format.json
    return fmt or Format.table


@dataclass
class Listing:
    """Rows with named columns: `cells` as a person reads them, `records` as JSON."""

    columns: Sequence[str]
    cells: list[list[str]]
    records: Callable[[], Any]
    title: str | None = None
    wrap: frozenset[str] = field(default_factory=frozenset)  # columns that may wrap


def emit(listing: Listing, fmt: Format) -> None:
    """Print ``listing`` on stdout in ``fmt``."""
    if fmt is Format.json:
        emit_json(listing.records())
        return
    if fmt in (Format.tsv, Format.csv):
        sys.stdout.write(delimited(listing.columns, listing.cells, fmt))
        sys.stdout.flush()
        return
    from rich.table import Table  # here: `--json` and tsv draw no table

    table = Table(box=None, pad_edge=False, title=listing.title, title_justify="left")
    for name in listing.columns:
        table.add_column(name, no_wrap=name not in listing.wrap)
    for row in listing.cells:
        # One line per cell: a tab or newline in a title is shown, not obeyed.
        table.add_row(*(visible(c) for c in row))
    table_console().print(table)


def delimited(columns: Sequence[str], cells: list[list[str]], fmt: Format) -> str:
    """TSV (a tab or newline inside a cell shown escaped, as `\\t`, `\\n`) or CSV
    (quoted as RFC 4180 wants, newlines kept inside quotes), a header line first;
    control characters shown escaped either way."""
    out = io.StringIO()
    if fmt is Format.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([visible(c, lines=True) for c in row] for row in cells)
        return out.getvalue()
    for row in [list(columns), *cells]:
        out.write("\t".join(visible(c) for c in row) + "\n")
    return out.getvalue()


def table_console() -> SafeConsole:
    """The terminal's console, or, when stdout is a pipe or a file, one as wide as the
    table needs."""
    if sys.stdout.isatty():
        return out_console.console
    return safe_console(highlight=False, markup=False, emoji=False, width=_PIPE_WIDTH)
