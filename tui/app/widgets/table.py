"""A DataTable that shows text as it is.

DataTable reads string cells and column labels as Rich markup: a slice value, feature
value or bug title such as "[/x]" raised a MarkupError and "[red]" vanished. Here every
string becomes plain Text before the table sees it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


def plain(value: Any) -> Any:
    """A string as plain Text (not markup); anything else unchanged."""
    return Text(value, no_wrap=True, end="") if isinstance(value, str) else value


class Table(DataTable[Any]):
    """A DataTable whose strings are never parsed as markup."""

    def add_column(
        self,
        label: Any,
        *,
        width: int | None = None,
        key: str | None = None,
        default: Any | None = None,
    ) -> ColumnKey:
        return super().add_column(plain(label), width=width, key=key, default=default)

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: Any | None = None,
    ) -> RowKey:
        return super().add_row(
            *(plain(c) for c in cells), height=height, key=key, label=plain(label)
        )

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)
