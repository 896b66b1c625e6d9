"""A DataTable that shows text as it is, and leaves Enter to the pane around it.

DataTable reads string cells and column labels as Rich markup: a slice value, feature
value or bug title such as "[/x]" raised a MarkupError and "[red]" vanished. Here every
string becomes plain Text before the table sees it, its control characters (an escape
sequence in a title, say) shown escaped on one line, never written to the terminal raw.

DataTable also binds Enter to its own (hidden) "select", which hid the pane's Enter
from the key bar: the alert stream's "⏎ Slices" never showed. Declining that action
lets Enter reach the pane's binding, shown and run as such; a click on the highlighted
row still selects it.

Home/End and g/G jump to the first and last row (DataTable's own Home and End scroll
sideways, and reach the first row only with ctrl+home), the same keys as the example
rows (RowsView).

And `show_rows` redraws only when what the table shows would change: panes re-read on
every store change, and clearing and re-adding identical rows flickers, loses the
scroll position and costs time (textual #1892).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from tui.app.widgets.safe import shown
from tui.core.words import visible


def plain(value: Any) -> Any:
    """A string as plain Text (not markup), a string or Text on one line with its control
    characters shown escaped; anything else unchanged."""
    if isinstance(value, str):
        return Text(visible(value), no_wrap=True, end="")
    return shown(value, lines=False) if isinstance(value, Text) else value


# What a table shows: its columns (label, width) if the caller sets them, and each
# row's key and cells as compared (Text by its characters and style).
Shown = tuple[tuple[tuple[str, int], ...] | None, tuple[tuple[str, tuple[Any, ...]], ...]]


def _compared(cell: Any) -> Any:
    # Text's own equality ignores its style; a cell that only turned red has changed.
    return (cell.plain, str(cell.style)) if isinstance(cell, Text) else cell


class Table(DataTable[Any]):
    """A DataTable whose strings are never parsed as markup, whose Enter is the pane's,
    and which redraws only when its rows changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "first_row", "First row", show=False),
        Binding("end,G", "last_row", "Last row", show=False),
    ]

    _shown: Shown | None = None

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def show_rows(
        self,
        rows: Sequence[tuple[str, Sequence[Any]]],
        columns: Sequence[tuple[str, int]] | None = None,
        *,
        keep_cursor: bool = True,
    ) -> bool:
        """Show these rows (key, cells), and these columns (label, width) when given,
        rebuilding only when they differ from what the table shows. With `keep_cursor`,
        the cursor stays on the row of the same key when it is still there. True if the
        table was rebuilt."""
        wanted: Shown = (
            None if columns is None else tuple(columns),
            tuple((key, tuple(_compared(c) for c in cells)) for key, cells in rows),
        )
        if wanted == self._shown:
            return False
        self._shown = wanted
        current = self._cursor_key() if keep_cursor else None
        self.clear(columns=columns is not None)
        for label, width in columns or ():
            self.add_column(label, key=label, width=width)
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if current is not None and current in {key for key, _ in rows}:
            self.move_cursor(row=self.get_row_index(current))
        return True

    def _cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
        return None if key is None else str(key)

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
