"""The app's own widgets on their own: the example rows view, the key bar, the table
that shows text as typed, and the collector that keeps full GCs off key presses."""

from __future__ import annotations

import gc
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.app import heap
from tui.app.widgets import KeyBar, Table
from tui.app.widgets.rows import Column, RowsView


def _line(view: RowsView, y: int) -> str:
    return "".join(segment.text for segment in view.render_line(y))


class RowsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RowsView(id="rows")


def _page(n: int, start: int = 0) -> list[list[str | Text]]:
    return [[f"id-{start + i:04d}", "[/x] [bold]", Text("red", style="red")] for i in range(n)]


COLUMNS = [Column("id", 8), Column("value", 12), Column("colour", 6)]


async def test_rows_view_draws_a_header_and_rows_as_typed() -> None:
    app = RowsApp()
    async with app.run_test(size=(40, 12)) as pilot:
        view = app.query_one(RowsView)
        view.set_rows(COLUMNS, _page(30))
        view.focus()
        await pilot.pause()
        assert _line(view, 0).startswith("id       value        colour")
        # Markup-looking text is shown as it is; the row keeps the cell's own style.
        assert _line(view, 1).startswith("id-0000  [/x] [bold]  red")
        assert view.row_count == 30 and view.cursor_row == 0


async def test_rows_view_cursor_keys_scroll_and_clicks() -> None:
    app = RowsApp()
    async with app.run_test(size=(40, 12)) as pilot:
        view = app.query_one(RowsView)
        view.set_rows(COLUMNS, _page(30))
        view.focus()
        await pilot.pause()
        visible = view.scrollable_content_region.height - 1  # the header takes a line
        await pilot.press("down", "down")
        assert view.cursor_row == 2
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.cursor_row == 2 + visible
        # The cursor row is on screen: the last visible line shows it.
        assert _line(view, visible).startswith(f"id-{2 + visible:04d}")
        await pilot.press("end")
        await pilot.pause()
        assert view.cursor_row == 29 and _line(view, visible).startswith("id-0029")
        await pilot.press("home", "up")
        await pilot.pause()
        assert view.cursor_row == 0 and _line(view, 1).startswith("id-0000")
        # One step past the last visible row scrolls by exactly one line.
        await pilot.press(*["down"] * visible)
        await pilot.pause()
        assert view.cursor_row == visible and view.scroll_y == 1
        assert _line(view, visible).startswith(f"id-{visible:04d}")
        await pilot.press("home")
        await pilot.click(RowsView, offset=(2, 3))
        await pilot.pause()
        assert view.cursor_row == 2
        # A click on the header moves nothing.
        await pilot.click(RowsView, offset=(2, 0))
        assert view.cursor_row == 2
        # A new page: back to the top, cursor on its first row.
        view.set_rows(COLUMNS, _page(5, start=100))
        await pilot.pause()
        assert view.cursor_row == 0 and _line(view, 1).startswith("id-0100")
        assert _line(view, 6).strip() == ""


async def test_rows_view_scrolls_sideways_and_updates_a_cell() -> None:
    app = RowsApp()
    wide = [Column(f"c{i}", 6) for i in range(12)]
    async with app.run_test(size=(30, 10)) as pilot:
        view = app.query_one(RowsView)
        view.set_rows(wide, [[f"r{r}c{i}" for i in range(12)] for r in range(3)])
        view.focus()
        await pilot.pause()
        assert _line(view, 0).startswith("c0 ")
        await pilot.press("right", "right", "right", "right", "right", "right", "right")
        await pilot.pause()
        assert view.scroll_x > 0 and not _line(view, 0).startswith("c0 ")
        view.update_cell(1, 0, "•")
        await pilot.press("home")
        view.scroll_to(x=0, animate=False, immediate=True)
        await pilot.pause()
        assert _line(view, 2).startswith("•")


class KeysPane(Static, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "pressed('a')", "Ack"),
        Binding("z", "pressed('z')", "Snooze"),
        Binding("h", "pressed('h')", "Hidden", show=False),
        Binding("x", "pressed('x')", "Not now"),
    ]

    def __init__(self) -> None:
        super().__init__("pane")
        self.pressed: list[str] = []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return parameters != ("x",)

    def action_pressed(self, key: str) -> None:
        self.pressed.append(key)


class KeysApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("f1", "help", "Help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.helped = 0

    def compose(self) -> ComposeResult:
        yield KeysPane()
        yield KeyBar()

    def action_help(self) -> None:
        self.helped += 1


async def test_key_bar_shows_the_keys_that_apply_and_a_click_presses_one() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 5)) as pilot:
        pane = app.query_one(KeysPane)
        pane.focus()
        await pilot.pause()
        await pilot.pause()
        bar = app.query_one(KeyBar)
        shown = {k.description for k in bar.keys}
        assert {"Ack", "Snooze", "Quit"} <= shown
        assert "Hidden" not in shown and "Not now" not in shown
        drawn = str(bar.render())
        assert "a Ack" in drawn and "z Snooze" in drawn
        x = drawn.index("Snooze")
        assert bar.key_at(x) == "z"
        await pilot.click(KeyBar, offset=(x, 0))
        await pilot.pause()
        assert pane.pressed == ["z"]
        # Help stays at the right end, even when the other keys do not fit.
        assert drawn.rstrip().endswith("f1 Help   ^p palette")
        await pilot.click(KeyBar, offset=(drawn.index("Help"), 0))
        await pilot.pause()
        assert app.helped == 1
        await pilot.resize_terminal(30, 5)
        await pilot.pause()
        narrow = str(bar.render())
        assert len(narrow) == 30 and narrow.rstrip().endswith("f1 Help   ^p palette")
        assert "…" in narrow and bar.key_at(narrow.index("f1")) == "f1"
        # Focus elsewhere: the pane's keys leave the bar.
        app.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        assert "Ack" not in {k.description for k in bar.keys}


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Table(id="t")


async def test_table_shows_strings_as_typed() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 6)) as pilot:
        table = app.query_one(Table)
        table.add_column("[/col]", key="c", width=20)
        table.add_row("[/x] [bold]oops", key="r")
        table.update_cell("r", "c", "[red]still plain")
        await pilot.pause()
        cell: Any = table.get_cell("r", "c")
        assert isinstance(cell, Text) and cell.plain == "[red]still plain"
        header = "".join(s.text for s in table.render_line(0))
        assert "[/col]" in header


async def test_table_redraws_only_when_its_rows_changed_and_keeps_the_cursor() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(Table)
        columns = [("id", 4), ("what", 10)]
        rows = [(str(i), (str(i), Text(f"row {i}", style="bold"))) for i in range(4)]
        assert table.show_rows(rows, columns)
        table.move_cursor(row=2)
        await pilot.pause()
        drawn = dict(table.rows)
        # The same rows again: nothing is rebuilt, the cursor stays.
        assert not table.show_rows(list(rows), columns)
        assert table.cursor_row == 2 and dict(table.rows) == drawn
        # Only a style changed: that is a change.
        restyled = [*rows[:3], ("3", ("3", Text("row 3", style="red")))]
        assert table.show_rows(restyled, columns)
        # A row above the cursor went away: the cursor follows its row's key.
        assert table.show_rows([rows[0], rows[2], rows[3]], columns)
        assert table.cursor_row == 1
        assert str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) == "2"
        # Without keep_cursor, a rebuild starts at the top.
        assert table.show_rows(rows, columns, keep_cursor=False)
        assert table.cursor_row == 0
        # Columns left out keep the table's own columns.
        assert table.show_rows(rows[:1])
        assert [str(c.label) for c in table.columns.values()] == ["id", "what"]


def test_quiet_collector_defers_full_collections_and_restores_python_defaults() -> None:
    before = gc.get_threshold()
    clock = [1000.0]
    collector = heap.QuietCollector(clock=lambda: clock[0])
    collector.start()
    try:
        assert gc.get_threshold()[2] == heap.NEVER and gc.get_freeze_count() > 0
        collector.touched()
        clock[0] += 0.5
        assert not collector.collect_if_quiet()  # the user is typing
        clock[0] += heap.IDLE_SECONDS
        assert collector.collect_if_quiet()  # quiet, and there was input since the last
        clock[0] += heap.IDLE_SECONDS
        assert not collector.collect_if_quiet()  # nothing happened since
        clock[0] += heap.EVERY_SECONDS
        assert collector.collect_if_quiet()  # but not forever
        assert collector.collections == 2
    finally:
        collector.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_facts_read_as_a_person_would() -> None:
    from tui.core.words import facts

    said = facts(
        {
            "null_share": 0.76087,
            "rows": 1234,
            "rate_low": 0.2373,
            "example": 1.057450863,
            "bins": [1, 2, 3, 4, 5, 6, 7, 8],
            "empty": None,
            "ok": True,
            "at": "2026-11-21T19:00:00",
            "by": {"a": 0.5},
        }
    )
    assert said.startswith("null share 76.1%, rows 1,234, rate low 23.7%, example 1.06")
    assert "bins [1, 2, 3, 4, 5, 6, … 2 more]" in said
    assert "empty" not in said and "ok yes" in said and "at 11-21 19:00" in said
    assert "by (a 0.5)" in said


def test_the_chart_marks_failing_windows_and_dates_its_axis() -> None:
    from datetime import datetime, timedelta

    from tui.core.chart import Series, render_plot

    start = datetime(2026, 11, 21, 12)
    times = [start + timedelta(hours=i) for i in range(12)]
    marks = ["pass"] * 4 + ["warning", "critical", "critical"] + ["pass"] * 5
    values: list[float | None] = [0.0, 0.0, 0.0, 0.0, 0.5, 0.8, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0]
    text = render_plot([Series("x", values)], 0.3, 60, 5, times=times, marks=marks).plain
    lines = text.splitlines()
    axis = next(line for line in lines if "11-21 12:00" in line)
    assert "11-21 23:00" in axis
    mark_row = lines[lines.index(axis) - 1]
    assert mark_row.count("▲") == 2 and mark_row.count("▴") == 1
    assert mark_row.index("▴") < mark_row.index("▲")
    assert "┄ threshold 0.3" in text
