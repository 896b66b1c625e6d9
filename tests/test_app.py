"""The app, driven with Pilot like a user: every flow checked in the store afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Label, TabbedContent

from tests.helpers import cli, settle
from tui.app.dialogs import BugForm, HelpScreen, Prompt
from tui.app.main import OncallApp
from tui.app.messages import ExamplesPageLoaded
from tui.app.panes import AlertStream, SliceExplorer
from tui.app.widgets import KeyBar, SeriesPlot, StatusLine
from tui.app.widgets.rows import RowsView
from tui.core.alerts.reading import list_alerts
from tui.core.config.settings import load_config
from tui.core.monitor.run import run_checks
from tui.core.store.connection import Store
from tui.sandbox.demo import build_world_dir
from tui.sandbox.history import apply_decisions
from tui.sandbox.scenario import load_scenario

NOW = "2026-11-26T04:00"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("app")
    spec = load_scenario("drill-checkout")
    config = build_world_dir(
        spec, folder, seed=spec.seed, scale=0.3, now=datetime.fromisoformat(NOW)
    )
    settings = load_config(config)
    store = Store(settings.store_path)
    run_checks(store, settings, datetime.fromisoformat(NOW))
    apply_decisions(store, settings)
    shutil.copy(folder / "oncall.duckdb", folder / "built.duckdb")
    return config


@pytest.fixture
def config(built: Path) -> Path:
    shutil.copy(built.parent / "built.duckdb", built.parent / "oncall.duckdb")
    for stray in built.parent.glob(".oncall.duckdb.outbox*"):
        stray.unlink()
    return built


def make_app(config: Path, who: str = "alice", **kw: Any) -> OncallApp:
    return OncallApp.open(load_config(config), who, NOW, **kw)


def _events(config: Path, action: str) -> list[tuple[Any, ...]]:
    # Through the store, so a moment's lock held by the app is waited out.
    with Store(config.parent / "oncall.duckdb", timeout=10).read() as con:
        return con.execute(
            "SELECT alert_id, actor, detail FROM alert_events WHERE action = $a "
            "AND actor <> 'oncall'",
            {"a": action},
        ).fetchall()


async def test_the_stream_shows_the_active_alerts_and_screens_switch(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        table = app.query_one("#alert-table", DataTable)
        expected = list_alerts(Store(app.settings.store_path), datetime.fromisoformat(NOW))
        assert table.row_count == len(expected) > 0
        assert str(table.coordinate_to_cell_key(Coordinate(0, 0)).row_key.value) == str(
            expected[0].id
        )
        tabs = app.query_one(TabbedContent)
        for key, tab in (("2", "bugs"), ("3", "slices"), ("4", "labels"), ("1", "alerts")):
            await pilot.press(key)
            await settle(pilot)
            assert tabs.active == tab
        await pilot.click("#--content-tab-bugs")
        await settle(pilot)
        assert tabs.active == "bugs"
        # Light and dark: ctrl+t switches, and back.
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light" and not app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"
        status = app.query_one(StatusLine)
        assert "alice (veteran)" in status.user and "2026-11-26 04:00" in status.now
        # The key bar offers the focused pane's keys, Enter's included.
        await pilot.press("1")
        await settle(pilot)
        shown = {k.description: k.display for k in app.query_one(KeyBar).keys}
        assert shown["Slices"] == "⏎" and {"Ack", "Snooze", "Bug", "Help"} <= set(shown)


async def test_help_is_built_from_the_live_bindings(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_screen = app.screen
        assert help_screen.where == "Alert stream keys"
        described = {row[1] for row in help_screen.rows}
        assert {"Ack", "Snooze", "Silence", "Bug", "Help", "Quit"} <= described
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_ack_with_a_note_lands_in_the_store(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(AlertStream)
        target = stream.selected()
        assert target is not None
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"looking at it")
        await pilot.press("enter")
        await settle(pilot)
        # The worker reported back (ActionDone), which the app says and reloads on.
        assert f"acked #{target.id}" in [n.message for n in app._notifications]
        reread = next(a for a in stream.alerts if a.id == target.id)
        assert reread.status == "acked"
        selected = stream.selected()
        assert selected is not None and selected.id == target.id
    acks = _events(config, "ack")
    assert (target.id, "alice", '{"note": "looking at it"}') in acks


async def test_snooze_with_a_preset_lands_in_the_store(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        target = app.query_one(AlertStream).selected()
        assert target is not None
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second preset: 1 hour
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert f"snoozed for 1 hour #{target.id}" in said
    snoozes = _events(config, "snooze")
    assert [(a, who) for a, who, _ in snoozes] == [(target.id, "alice")]
    assert "2026-11-26 05:00" in snoozes[0][2]


async def test_file_a_bug_from_an_alert(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        target = app.query_one(AlertStream).selected()
        assert target is not None
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BugForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
    con = duckdb.connect(str(config.parent / "oncall.duckdb"), read_only=True)
    links = con.execute(
        "SELECT b.title, k.target FROM bugs b JOIN bug_links k USING (bug_id) "
        "WHERE k.kind = 'alert'"
    ).fetchall()
    con.close()
    assert any(target_id == str(target.id) and target.kind in title for title, target_id in links)
    assert any(a == target.id for a, _, _ in _events(config, "bug_filed"))


async def test_drill_from_an_alert_to_its_wrong_examples(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(AlertStream)
        table = app.query_one("#alert-table", DataTable)
        row = next(i for i, a in enumerate(stream.shown_alerts()) if a.slice)
        table.move_cursor(row=row)
        await settle(pilot)
        alert = stream.selected()
        assert alert is not None and alert.slice
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "slices"
        explorer = app.query_one(SliceExplorer)
        assert explorer.page is not None and explorer.page["rows"]
        ((col, value),) = alert.slice.items()
        assert all(str(r[col]) == value for r in explorer.page["rows"])
        await pilot.press("w")
        await settle(pilot)
        assert explorer.wrong
        assert all(r["correct"] is False for r in explorer.page["rows"])


async def test_example_rows_page_by_key_and_mark_rows_for_a_bug(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        explorer = app.query_one(SliceExplorer)
        app.query_one("#slice-table", DataTable).focus()
        await pilot.pause()
        bar = app.query_one(KeyBar)

        def keys() -> set[str]:
            return {k.description for k in bar.keys}

        # No rows open: nothing to page or mark, so the key bar does not offer it.
        assert "Rows" in keys() and not {"Next page", "Prev page", "Mark row"} & keys()
        await pilot.press("enter")  # the first row: all rows
        await settle(pilot)
        assert {"Next page", "Mark row"} <= keys() and "Prev page" not in keys()
        rows = app.query_one("#example-rows", RowsView)
        assert app.focused is rows
        first = explorer.page
        assert first is not None and rows.row_count == len(first["rows"]) == 200
        caption = str(app.query_one("#example-caption", Label).render())
        assert "page 1, rows 1–200" in caption and "] next page" in caption
        # The next page was fetched before it was asked for, and follows on by key.
        assert first["next"] in explorer.prefetched
        await pilot.press("right_square_bracket")
        await settle(pilot)
        second = explorer.page
        assert second is not None and second is not first
        ids = [r["prediction_id"] for r in first["rows"] + second["rows"]]
        assert len(set(ids)) == len(ids)
        assert rows.cursor_row == 0 and rows.row_count == len(second["rows"])
        assert "page 2, rows 201–400" in str(app.query_one("#example-caption", Label).render())
        assert "Prev page" in keys()
        # A late answer for rows opened earlier is dropped, not shown under these.
        stale = {"rows": first["rows"][:1], "next": None, "count": 1}
        explorer.post_message(ExamplesPageLoaded(explorer.opened - 1, None, stale))
        await settle(pilot)
        assert explorer.page is second and explorer.prefetched.get(None) is first
        # The cursor moves and the screen shows its row.
        await pilot.press("down", "down")
        await pilot.pause()
        assert rows.cursor_row == 2
        drawn = "".join(s.text for s in rows.render_line(3))
        assert str(second["rows"][2]["prediction_id"]) in drawn
        await pilot.press("space")
        await pilot.press("down", "space")
        await pilot.pause()
        marked = {str(second["rows"][i]["prediction_id"]) for i in (2, 3)}
        assert explorer.marked == marked
        assert "".join(s.text for s in rows.render_line(3)).lstrip().startswith("•")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert explorer.page is first
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BugForm)
        assert sorted(app.screen.prefill["predictions"]) == sorted(marked)
        await pilot.press("ctrl+s")
        await settle(pilot)
    con = duckdb.connect(str(config.parent / "oncall.duckdb"), read_only=True)
    linked = con.execute("SELECT target FROM bug_links WHERE kind = 'prediction'").fetchall()
    con.close()
    assert {t for (t,) in linked} == marked


async def test_file_a_bug_from_a_slice_and_compare_versions(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        explorer = app.query_one(SliceExplorer)
        table = app.query_one("#slice-table", DataTable)
        table.focus()
        row = next(i for i, r in enumerate(explorer.rows) if r.slice)
        table.move_cursor(row=row)
        slice_ = explorer.rows[row].slice
        assert slice_ is not None
        ((column, value),) = slice_.items()
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BugForm)
        form = app.screen.prefill
        assert form["where"] == [f"{column}={value}"] and form["since"] < form["until"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert explorer.by.startswith("model_version")
        versions = {r.slice.get("model_version") for r in explorer.rows if r.slice}
        assert versions and None not in versions
    con = duckdb.connect(str(config.parent / "oncall.duckdb"), read_only=True)
    links = con.execute(
        "SELECT target, window_start, window_end FROM bug_links WHERE kind = 'slice' "
        "AND bug_id = (SELECT max(bug_id) FROM bugs)"
    ).fetchall()
    con.close()
    assert links == [(json.dumps({column: value}), form["since"], form["until"])]


async def test_plots_of_the_metric_the_drift_and_label_coverage(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(AlertStream)
        table = app.query_one("#alert-table", DataTable)
        drift_plot = app.query_one("#alert-drift", SeriesPlot)
        await pilot.press("s")  # resolved ones too: the drill's other kinds were handled
        await settle(pilot)
        shown = stream.shown_alerts()
        drifting = next(i for i, a in enumerate(shown) if a.kind in ("drift", "score_drift"))
        other = next(i for i, a in enumerate(shown) if a.kind not in ("drift", "score_drift"))
        table.move_cursor(row=drifting)
        await settle(pilot)
        detail = stream.detail
        assert detail is not None and detail.alert.id == shown[drifting].id
        metric = app.query_one("#alert-plot", SeriesPlot)
        assert metric.threshold == detail.alert.threshold
        assert metric.series[0].values == [r.value for r in detail.results]
        # The baseline and the last window, as shares per bin.
        assert drift_plot.display
        baseline, current = drift_plot.series
        assert (baseline.name, current.name) == ("baseline", "last window")
        assert abs(sum(v or 0 for v in baseline.values) - 1) < 1e-6
        assert baseline.values != current.values
        table.move_cursor(row=other)
        await settle(pilot)
        assert not drift_plot.display
        await pilot.press("4")
        await settle(pilot)
        coverage = app.query_one("#label-plot", SeriesPlot)
        names = [s.name for s in coverage.series]
        assert names == ["labelled ≤1d", "labelled ≤3d", "labelled ≤7d"]
        for earlier, later in zip(coverage.series, coverage.series[1:], strict=False):
            assert all(
                a is None or b is None or a <= b + 1e-9
                for a, b in zip(earlier.values, later.values, strict=True)
            )


async def test_user_text_is_shown_as_typed_not_read_as_markup(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "[/x] checkout [bold]scores[/bold] wrong for [red]FR"
    options = ("--config", config, "--as", "alice", "--now", NOW)
    filed = cli(capsys, *options, "bugs", "new", "-m", "checkout_risk", "--title", title)
    assert filed.code == 0, filed.err
    bug_id = filed.err.split("#")[1].split()[0]
    shown_by_cli = cli(capsys, *options, "bugs", "show", bug_id)
    assert shown_by_cli.code == 0 and title in shown_by_cli.out, shown_by_cli.err
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#bug-table", DataTable)
        row = next(
            i for i in range(table.row_count) if str(table.get_cell_at(Coordinate(i, 4))) == title
        )
        table.move_cursor(row=row)
        await settle(pilot)
        shown = app.export_screenshot()
        assert "checkout&#160;[bold]scores[/bold]" in shown or "checkout [bold]scores" in shown
        app.notify(f"filed {title}")
        await pilot.pause()


async def test_filter_the_stream(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(AlertStream)
        kinds = {a.kind for a in stream.alerts}
        kind = sorted(kinds)[0]
        await pilot.press("slash")
        await pilot.press(*f"kind={kind}")
        await pilot.press("enter")
        await settle(pilot)
        table = app.query_one("#alert-table", DataTable)
        assert table.row_count == len([a for a in stream.alerts if a.kind == kind]) > 0
        await pilot.press("s")
        await settle(pilot)
        assert stream.show_all


async def test_the_stream_redraws_only_when_what_it_shows_changes(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(AlertStream)
        table = app.query_one("#alert-table", DataTable)
        if table.row_count < 2:  # resolved ones too, for rows to move between
            await pilot.press("s")
            await settle(pilot)
            stream.load()  # once seen, the new-since-last-look dots go
            await settle(pilot)
        assert table.row_count > 1
        clears = 0
        clear = table.clear

        def counting_clear(columns: bool = False) -> Any:
            nonlocal clears
            clears += 1
            return clear(columns)

        table.clear = counting_clear  # type: ignore[method-assign]
        rows = dict(table.rows)
        table.move_cursor(row=1)
        await settle(pilot)
        # A refresh that brings the same alerts leaves the rows, and the cursor, alone.
        stream.load()
        await settle(pilot)
        assert clears == 0 and table.cursor_row == 1
        assert all(table.rows[k] is row for k, row in rows.items())
        # So does a filter that still matches every alert: a letter all of them have.
        everything = stream.shown_alerts()
        words = [" ".join((a.model, a.kind, a.status)) for a in everything]
        letter = next(c for c in "etaoinsrcdlu" if all(c in w for w in words))
        await pilot.press("slash", letter)
        await settle(pilot)
        assert stream.filter_text == letter and stream.shown_alerts() == everything
        assert clears == 0 and all(table.rows[k] is row for k, row in rows.items())
        # A filter that leaves fewer rows redraws, and clearing it redraws them all.
        await pilot.press(*"zzz-no-such-alert")
        await settle(pilot)
        assert clears == 1 and table.row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert clears == 2 and table.row_count == len(everything)


async def test_a_trainee_is_refused_in_the_app(config: Path) -> None:
    app = make_app(config, who="bob", poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("r", "y")  # resolve asks first; yes
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("trainee" in m for m in messages)
    assert _events(config, "resolve") == []


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    sys.stdin.readline()
    con.close()
    """
)


async def test_work_on_while_the_store_is_held_then_the_action_applies(config: Path) -> None:
    app = make_app(config, poll=True, poll_seconds=0.3)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        target = app.query_one(AlertStream).selected()
        assert target is not None
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(config.parent / "oncall.duckdb")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        try:
            await pilot.press("a")
            await pilot.pause()
            await pilot.press(*"busy ack")
            await pilot.press("enter")
            for _ in range(100):
                await pilot.pause(0.1)
                if app.query_one(StatusLine).pending:
                    break
            status = app.query_one(StatusLine)
            assert status.pending == 1
            assert "store busy" in status.busy or any(
                "busy" in n.message for n in app._notifications
            )
        finally:
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait()
        # The next polls apply it once the store frees.
        for _ in range(150):
            await pilot.pause(0.1)
            landed = [a for a in _events(config, "ack") if a[2] == '{"note": "busy ack"}']
            if landed:
                break
        await settle(pilot)
        assert app.query_one(StatusLine).pending == 0
    acks = [a for a in _events(config, "ack") if a[2] == '{"note": "busy ack"}']
    assert acks == [(target.id, "alice", '{"note": "busy ack"}')]


async def test_the_palette_offers_the_current_screens_actions(config: Path) -> None:
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Go to Slices" in titles
        assert "Alerts: Ack" in titles and "Alerts: Silence" in titles
        await pilot.press("3")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Slices: Wrong only" in titles and "Alerts: Ack" not in titles


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5", "rows"])
def test_snapshots(
    config: Path,
    snap_compare: Any,
    size: tuple[int, int],
    tab: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(config.parent)  # the status line shows the store relative to here

    async def go_to(pilot: Any) -> None:
        await settle(pilot)
        if tab == "rows":  # the example rows behind the first alert's slice
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("down", "space", "down")
        else:
            await pilot.press(tab)
        await settle(pilot)

    app = make_app(config, poll=False)
    assert snap_compare(app, terminal_size=size, run_before=go_to)


README_SHOT = Path(__file__).resolve().parent / "screenshots" / "oncall-alerts.svg"


async def test_the_readme_screenshot_is_current(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's tour shows this screen; `ONCALL_UPDATE_SHOTS=1 uv run pytest -k readme`
    redraws it after a deliberate change."""
    import os

    monkeypatch.chdir(config.parent)
    app = make_app(config, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        svg = app.export_screenshot(title="oncall — the alert stream")
    if os.environ.get("ONCALL_UPDATE_SHOTS") == "1" or not README_SHOT.exists():
        README_SHOT.parent.mkdir(exist_ok=True)
        README_SHOT.write_text(svg, encoding="utf-8")
    assert README_SHOT.read_text(encoding="utf-8") == svg
