"""A page of rows under a fixed header, drawn a line at a time.

The example rows behind a number change a page at a time (200 rows × 15-20 columns).
DataTable measured every cell of every new row even with fixed column widths, and
parsed each string as markup: about 70 ms a page. This view keeps the page as plain
values and turns a row into a line only when it is on screen, so a page swaps in a few
milliseconds whatever the column count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.widgets.safe import shown

Cell = str | Text


HEADER = -1
"""The header's key among the cached lines (rows are 0, 1, …)."""


class Column(NamedTuple):
    """A column: its header and its width in cells."""

    label: str
    width: int


class RowsView(ScrollView, can_focus=True):
    """Rows with fixed-width columns, a header that stays put, and a row cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rowsview--header",
        "rowsview--cursor",
        "rowsview--even-row",
    }
    # The same look as a DataTable, so the examples sit well beside the other tables.
    DEFAULT_CSS = """
    RowsView {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .rowsview--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:dark > .rowsview--even-row {
            background: $surface-darken-1 40%;
        }
        & > .rowsview--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .rowsview--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .rowsview--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .rowsview--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, repaint=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns: list[Column] = []
        self.rows: list[list[Cell]] = []
        self._lines: dict[int, Strip] = {}

    # ------------------------------------------------------------ content

    @property
    def row_count(self) -> int:
        """How many rows the page holds."""
        return len(self.rows)

    def set_rows(self, columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> None:
        """Show these rows (a new page): cursor on the first, scrolled to the top."""
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]
        self._lines.clear()
        width = sum(c.width + 1 for c in self.columns)
        self.virtual_size = Size(width, len(self.rows) + 1)
        self.set_reactive(RowsView.cursor_row, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def update_cell(self, row: int, column: int, value: Cell) -> None:
        """Change one cell (marking a row, say) and redraw its line."""
        self.rows[row][column] = value
        self._lines.pop(row, None)
        self.refresh()

    # ------------------------------------------------------------ drawing

    def _text(self, cells: Sequence[Cell]) -> Text:
        line = Text(no_wrap=True, end="")
        for column, cell in zip(self.columns, cells, strict=False):
            text = shown(cell, lines=False).copy()
            text.truncate(column.width, overflow="ellipsis", pad=True)
            line.append_text(text)
            line.append(" ")
        return line

    def _strip(self, line: int, cells: Sequence[Cell]) -> Strip:
        """A line's cells as an unstyled strip, made once per page (line -1: the header)."""
        strip = self._lines.get(line)
        if strip is None:
            strip = Strip(list(self._text(cells).render(self.app.console))).simplify()
            self._lines[line] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._strip(HEADER, [c.label for c in self.columns])
            style = base + self.get_component_rich_style("rowsview--header")
            return strip.apply_style(style).crop_extend(scroll_x, scroll_x + width, style)
        row = scroll_y + y - 1
        if row >= len(self.rows):
            return Strip.blank(width, base)
        strip = self._strip(row, self.rows[row])
        if row == self.cursor_row:
            # The cursor's colours win over the cells' own (a wrong row is red).
            style = base + self.get_component_rich_style("rowsview--cursor")
            strip = Strip(list(Segment.apply_style(strip, post_style=style)))
        else:
            style = base
            if row % 2 == 0:
                style += self.get_component_rich_style("rowsview--even-row")
            strip = strip.apply_style(style)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    # ------------------------------------------------------------ cursor

    @property
    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor_row(self, old: int, new: int) -> None:
        top = round(self.scroll_y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self._visible_rows:
            self.scroll_to(y=new - self._visible_rows + 1, animate=False, immediate=True)
        self.refresh()

    def move_cursor(self, row: int) -> None:
        """Put the cursor on a row (clamped to the page)."""
        if self.rows:
            self.cursor_row = max(0, min(row, len(self.rows) - 1))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step * self._visible_rows)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.rows) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self.move_cursor(round(self.scroll_y) + offset.y - 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
