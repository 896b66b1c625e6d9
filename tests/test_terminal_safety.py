"""Terminal safety: user text never reaches the terminal raw, in the CLI or the app.

Escape sequences, bells, carriage returns, C1 controls and bidi overrides in a title, a
note or a slice value are shown escaped (`\\x1b`), markup in them printed as typed; JSON
keeps the exact values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from tests.helpers import cli
from tui.app.main import OncallApp
from tui.app.widgets.rows import Column, RowsView
from tui.app.widgets.safe import shown
from tui.core.config.settings import load_config
from tui.core.words import visible

NOW = "2026-11-26T04:00"
NASTY = "\x1b[31mRED\x1b]0;pwned\x07 [bold]x[/bold]"
NASTY_SHOWN = "\\x1b[31mRED\\x1b]0;pwned\\x07 [bold]x[/bold]"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r", "\x08")


def no_raw_controls(text: str) -> bool:
    return not any(c in text for c in RAW)


# ------------------------------------------------------------ visible()


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("ding\x07", "ding\\x07"),
        ("over\rwrite", "over\\rwrite"),
        ("back\x08space", "back\\x08space"),
        ("c1\x9b31m", "c1\\x9b31m"),
        ("del\x7f", "del\\x7f"),
        ("nul\x00", "nul\\x00"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("\u2066isolate\u2069", "\\u2066isolate\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
        ("two\nlines\tand a tab", "two\\nlines\\tand a tab"),
    ],
)
def test_visible_escapes_controls_and_bidi(raw: str, seen: str) -> None:
    assert visible(raw) == seen
    assert no_raw_controls(visible(raw, lines=True))


@pytest.mark.parametrize(
    "text",
    ["São Paulo", "Zürich ü", "👩‍💻 on call 🔥", "東京", "a\\x1b literal", "[red]x[/red]", ""],
)
def test_visible_leaves_ordinary_text_alone(text: str) -> None:
    assert visible(text) == text
    assert visible(text, lines=True) == text


def test_visible_keeps_lines_for_a_detail_view() -> None:
    assert visible("one\r\ntwo\n\tthree\x1b[0m", lines=True) == "one\ntwo\n\tthree\\x1b[0m"


def test_shown_escapes_a_styled_text_and_keeps_its_styles() -> None:
    text = Text()
    text.append("#1 \x1b[31mhi", style="bold")
    text.append(" \u202eafter\n", style="dim")
    out = shown(text)
    assert out.plain == "#1 \\x1b[31mhi \\u202eafter\n"
    assert [(out.plain[s.start : s.end], str(s.style)) for s in out.spans] == [
        ("#1 \\x1b[31mhi", "bold"),
        (" \\u202eafter\n", "dim"),
    ]
    assert shown(Text("a\nb"), lines=False).plain == "a\\nb"


# ------------------------------------------------------------ the CLI


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Any:
    result = cli(capsys, "--config", config, "--now", NOW, "--as", "alice", *args)
    assert result.code == 0, result.err
    return result


def test_cli_shows_user_text_escaped_and_json_exact(
    drill_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = drill_config
    filed = run(
        capsys,
        config,
        *("bugs", "new", "-m", "checkout_risk", "--title", NASTY),
        *("--tag", "t\x1b[8m", "--json"),
    )
    assert no_raw_controls(filed.err)
    bug_id = str(filed.json()["id"])
    run(capsys, config, "bugs", "comment", bug_id, "--text", "see \x1b]8;;http://x\x07here")
    alert_id = str(run(capsys, config, "alerts", "list", "--json").json()[0]["id"])
    run(capsys, config, "alerts", "note", alert_id, "--text", "paged \x1b[5mteam\u202e\x07")

    listed = run(capsys, config, "bugs", "list")
    one = run(capsys, config, "bugs", "show", bug_id)
    alert = run(capsys, config, "alerts", "show", alert_id)
    for result in (listed, one, alert):
        assert no_raw_controls(result.out + result.err), repr(result.out)
    assert "[bold]x[/bold]" in listed.out
    assert NASTY_SHOWN in one.out
    assert "t\\x1b[8m" in one.out
    assert "see \\x1b]8;;http://x\\x07here" in one.out
    assert "paged \\x1b[5mteam\\u202e\\x07" in alert.out

    # JSON keeps the values exactly as stored.
    as_json = run(capsys, config, "bugs", "show", bug_id, "--json").json()
    assert as_json["title"] == NASTY and "t\x1b[8m" in as_json["tags"]
    notes = run(capsys, config, "alerts", "show", alert_id, "--json").json()["events"]
    assert {"text": "paged \x1b[5mteam\u202e\x07"} in [e["detail"] for e in notes]


# ------------------------------------------------------------ the app


async def test_app_shows_a_bug_title_escaped(
    drill_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filed = run(capsys, drill_config, "bugs", "new", "-m", "checkout_risk", "--title", NASTY)
    bug_id = filed.err.split("#")[1].split()[0]
    app = OncallApp.open(load_config(drill_config), "alice", NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("2")
        for _ in range(20):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        table = app.query_one("#bug-table", DataTable)
        cells = [str(table.get_cell_at(Coordinate(i, 4))) for i in range(table.row_count)]
        assert NASTY_SHOWN in cells and NASTY not in cells
        row = cells.index(NASTY_SHOWN)
        assert str(table.get_cell_at(Coordinate(row, 0))) == bug_id
        table.move_cursor(row=row)
        for _ in range(20):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        facts = app.query_one("#bug-facts", Static)
        text = str(facts.render())
        assert f"#{bug_id} [P2] \\x1b[31mRED\\x1b]0;pwned" in text and "[bold]x[/bold]" in text
        assert "\x1b" not in text
        app.notify(f"filed {NASTY}")
        await pilot.pause()
        assert all(no_raw_controls(n.message) for n in app._notifications)


def test_example_rows_show_values_escaped() -> None:
    view = RowsView()
    view.columns = [Column("city", 20), Column("id", 20)]
    line = view._text(["Paris\x1b[2J", Text("p1\x1b[8m\u202e", style="red")])
    assert no_raw_controls(line.plain)
    assert line.plain.startswith("Paris\\x1b[2J") and "p1\\x1b[8m\\u202e" in line.plain
    assert [str(s.style) for s in line.spans] == ["red"]
