"""A DataTable that shows text as it is, and leaves Enter to the pane around it.

DataTable reads string cells and column labels as Rich markup: a slice value, feature
value or bug title such as "[/x]" raised a MarkupError and "[red]" vanished. Here every
string becomes plain Text before the table sees it.

DataTable also binds Enter to its own (hidden) "select", which hid the pane's Enter
from the key bar: the alert stream's "⏎ Slices" never showed. Declining that action
lets Enter reach the pane's binding, shown and run as such; a click on the highlighted
row still selects it.
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
    """A DataTable whose strings are never parsed as markup and whose Enter is the
    pane's."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return False
        return super().check_action(action, parameters)

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
