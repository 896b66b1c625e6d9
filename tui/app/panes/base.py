"""What every pane shares: a typed way to reach the app, and the row under a cursor."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from textual.containers import Vertical
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from tui.app.console import Console


class Pane(Vertical):
    """A pane of the console; `oncall` is the app with its session and stores."""

    HELP_TITLE: ClassVar[str] = "Keys"
    """The help screen's title while this pane has the focus, in words."""

    def cursor_id(self, table_id: str) -> int | None:
        """The integer row key under a table's cursor (rows are keyed by record id)."""
        table: DataTable[Any] = self.query_one(f"#{table_id}", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        # Rows keyed by something else (a group's header) are no record.
        text = str(key.value) if key.value is not None else ""
        return int(text) if text.isdigit() else None

    @property
    def oncall(self) -> Console:
        """The app, as the Console protocol (the app class satisfies it)."""
        return cast(Console, self.app)
