"""The app's rough edges (issue 14, item 6), each driven with Pilot like a user."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
from textual.widgets import DataTable, Input, Label, Select

from tests import test_app
from tests.conftest import DEMO_NOW
from tests.helpers import settle
from tests.test_app import make_app
from tui.app.dialogs import BugForm, Confirm, HelpScreen, Prompt, SilenceForm
from tui.app.main import OncallApp
from tui.app.panes import AlertStream, ShiftReplay, SliceExplorer
from tui.app.panes.shadow import REVEAL_SECONDS
from tui.app.widgets import KeyBar
from tui.app.widgets.rows import RowsView
from tui.core.alerts import Alert
from tui.core.config.settings import load_config

# The app tests' world (built once per module) and a fresh copy of its store per test.
built = test_app.built
config = test_app.config


def _query(folder: Path, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(folder / "oncall.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def _events(config: Path, action: str) -> list[tuple[Any, ...]]:
    """Alice's events of one kind (the world's history has the veterans')."""
    return _query(
        config.parent,
        "SELECT alert_id, detail FROM alert_events WHERE action = $a AND actor = 'alice'",
        {"a": action},
    )


def _selected(app: OncallApp) -> Alert:
    """The alert under the stream's cursor (there is one)."""
    alert = app.query_one(AlertStream).selected()
    assert alert is not None
    return alert


def _keys(app: Any) -> set[str]:
    """The keys the key bar offers as usable now."""
    return {k.description for k in app.query_one(KeyBar).keys if k.enabled}


async def test_resolve_asks_first_and_no_leaves_the_alert(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        alert = _selected(app)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert f"Resolve #{alert.id}" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        assert _events(config, "resolve") == []
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
    assert [aid for aid, _ in _events(config, "resolve")] == [alert.id]


async def test_an_empty_noise_reason_is_refused_in_words(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        alert = _selected(app)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, Prompt)
        await pilot.press("enter")
        await pilot.pause()
        # Still asking, and saying why.
        assert isinstance(app.screen, Prompt)
        error = app.screen.query_one("#prompt-error", Label)
        assert not error.has_class("hidden")
        assert "reason is required" in str(error.render())
        await pilot.press(*"flaky upstream")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, Prompt)
    events = _events(config, "mark_noise")
    assert [aid for aid, detail in events if "flaky upstream" in detail] == [alert.id]


async def test_v_groups_under_real_headers_and_g_jumps(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(AlertStream)
        table = app.query_one("#alert-table", DataTable)
        plain = table.row_count
        models = sorted({a.model for a in stream.alerts})
        await pilot.press("v")
        await settle(pilot)
        keys = [str(k.value) for k in table.rows]
        headers = [k for k in keys if k.startswith("group:")]
        assert headers == [f"group:model:{m}" for m in models]
        assert table.row_count == plain + len(models)
        # A header names its group and counts its alerts; it is no alert to act on.
        first = table.get_row_at(0)
        assert str(first[3]) == models[0]
        n = sum(1 for a in stream.alerts if a.model == models[0])
        assert str(first[5]) == f"{n} alert{'s' if n != 1 else ''}"
        await pilot.press("g")
        await settle(pilot)
        assert table.cursor_row == 0
        assert stream.selected() is None
        assert "Ack" not in _keys(app) and "Group" in _keys(app)
        # Under each header come the alerts of its group only.
        group = None
        for key in keys:
            if key.startswith("group:"):
                group = key.split(":", 2)[2]
            else:
                assert next(a for a in stream.alerts if str(a.id) == key).model == group
        # G and End go to the last row, g and Home to the first.
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        # By kind, then back to no groups.
        await pilot.press("v")
        await settle(pilot)
        kinds = sorted({a.kind for a in stream.alerts})
        assert [str(k.value) for k in table.rows if str(k.value).startswith("group:")] == [
            f"group:kind:{k}" for k in kinds
        ]
        await pilot.press("v")
        await settle(pilot)
        assert table.row_count == plain


async def test_y_copies_the_alert_as_text(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        alert = _selected(app)
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard.startswith(f"#{alert.id} · {alert.severity} · ")
        assert alert.model in app.clipboard and alert.kind in app.clipboard
        assert any(f"copied alert #{alert.id}" in n.message for n in app._notifications)


async def test_silence_takes_a_duration_and_a_note(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        alert = _selected(app)
        await pilot.press("x")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SilenceForm)
        assert f"model={alert.model}" in form.query_one("#silence-match", Input).value
        assert form.query_one("#silence-for", Input).value == "8h"
        form.query_one("#silence-for", Input).value = "soon"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "For: expected a duration" in str(form.query_one("#silence-error", Label).render())
        form.query_one("#silence-for", Input).value = "2h"
        form.query_one("#silence-note", Input).value = "retraining tonight"
        await pilot.press("ctrl+s")
        await settle(pilot)
    rows = _query(config.parent, "SELECT matchers, starts_at, ends_at, note FROM silences")
    assert len(rows) == 1
    matchers, starts, ends, note = rows[0]
    assert json.loads(matchers)["model"] == alert.model
    assert (ends - starts).total_seconds() == 2 * 3600
    assert note == "retraining tonight"


def _labelled(screen: Any) -> None:
    for box in [*screen.query(Input), *screen.query(Select)]:
        holder = box.parent
        assert holder is not None and holder.has_class("field"), box.id
        label = holder.query_one(Label)
        assert label.has_class("field-label") and str(label.render()).strip(), box.id


async def test_every_form_field_is_labelled(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for key, dialog in (("b", BugForm), ("x", SilenceForm), ("a", Prompt), ("m", Prompt)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, dialog)
            _labelled(app.screen)
            await pilot.press("escape")
            await pilot.pause()


async def test_help_is_titled_in_words_and_lists_only_keys_that_apply(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert str(app.screen.query_one("#help-title", Label).render()) == "Alert stream keys"
        described = {row[1] for row in app.screen.rows}
        assert {"Ack", "Resolve", "Copy", "Group", "First row", "Last row"} <= described
        await pilot.press("escape")
        # On a group's header no alert is selected: its keys are not listed.
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("g", "f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = {row[1] for row in app.screen.rows}
        assert "Group" in described and not {"Ack", "Resolve", "Copy"} & described
        await pilot.press("escape")
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert str(app.screen.query_one("#help-title", Label).render()) == "Slice explorer keys"


async def test_marked_rows_stay_marked_across_wrong_only_and_pages(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        explorer = app.query_one(SliceExplorer)
        app.query_one("#slice-table", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        rows = app.query_one("#example-rows", RowsView)
        caption = app.query_one("#example-caption", Label)
        await pilot.press("space", "down", "space")
        await pilot.pause()
        page = explorer.page
        assert page is not None
        marked = {str(page["rows"][i]["prediction_id"]) for i in (0, 1)}
        assert explorer.marked == marked
        assert "2 marked" in str(caption.render())
        # y copies the row under the cursor.
        await pilot.press("y")
        assert f"prediction_id: {page['rows'][1]['prediction_id']}" in app.clipboard
        # Paging on and back keeps them, drawn and counted.
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert explorer.marked == marked and "2 marked" in str(caption.render())
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "".join(s.text for s in rows.render_line(1)).lstrip().startswith("•")
        # Wrong only narrows the rows and keeps the marks.
        await pilot.press("w")
        await settle(pilot)
        assert explorer.wrong
        assert explorer.marked == marked and "2 marked" in str(caption.render())
        wrong_page = explorer.page
        assert wrong_page is not None
        unmarked = next(
            i for i, r in enumerate(wrong_page["rows"]) if str(r["prediction_id"]) not in marked
        )
        await pilot.press(*["down"] * unmarked, "space")
        await pilot.pause()
        assert len(explorer.marked) == 3 and "3 marked" in str(caption.render())
        await pilot.press("w")
        await settle(pilot)
        assert len(explorer.marked) == 3
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BugForm)
        assert set(app.screen.prefill["predictions"]) == explorer.marked


class FakeClock:
    """A monotonic clock the test moves by hand (the pane's timer still ticks each
    second, but nothing runs out until the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_play_mode_counts_down_and_reveals_an_alert_that_ran_out(
    demo_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(demo_dir / "oncall.yaml", tmp_path / "oncall.yaml")
    shutil.copy(demo_dir / "oncall.duckdb", tmp_path / "oncall.duckdb")
    app = OncallApp.open(load_config(tmp_path / "oncall.yaml"), "bob", DEMO_NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        replay = app.query_one(ShiftReplay)
        await settle(pilot)
        assert len(replay.items) >= 2, "a past shift with alerts was loaded"
        clock = FakeClock()
        replay.clock = clock
        progress = app.query_one("#replay-progress", Label)
        reveal = app.query_one("#replay-reveal")
        await pilot.press("p")
        await pilot.pause()
        assert replay.playing
        assert f"alert 1 of {len(replay.items)}" in str(progress.render())
        assert f"{replay.seconds_per_alert:g} s left" in str(progress.render())
        clock.now += 12
        replay.tick()
        await pilot.pause()
        assert f"{replay.seconds_per_alert - 12:g} s left" in str(progress.render())
        assert not replay.revealed
        # Time runs out: the alert is revealed as undecided, with the veteran's call.
        clock.now += replay.seconds_per_alert
        replay.tick()
        await pilot.pause()
        assert replay.revealed and replay.index == 0
        shown_text = str(reveal.render())
        assert "Time ran out: undecided" in shown_text and "The veteran" in shown_text
        assert "next in" in str(progress.render())
        assert replay.calls == []  # no call was made for it
        # After the reveal the next alert comes by itself, with its own countdown.
        clock.now += REVEAL_SECONDS
        replay.tick()
        await pilot.pause()
        assert replay.index == 1 and not replay.revealed
        assert f"alert 2 of {len(replay.items)}" in str(progress.render())
        assert f"{replay.seconds_per_alert:g} s left" in str(progress.render())
        # Called in time: revealed with the call; p stops the clock.
        await pilot.press("a")
        await pilot.pause()
        assert "You: act" in str(reveal.render())
        await pilot.press("p")
        await pilot.pause()
        assert not replay.playing and "s left" not in str(progress.render())
