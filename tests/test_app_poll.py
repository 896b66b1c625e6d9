"""The change poll keeps going whatever happened to the last one.

The poll is a one-shot timer rescheduled when its worker finishes. If rescheduling hung
on the worker's outcome, one failed read (Esc interrupts the poll's own read; a bug
raises anything) would stop the app noticing changes for the rest of the session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.app.dialogs import HelpScreen
from tui.app.main import OncallApp
from tui.app.messages import (
    ActionDone,
    ShiftLoaded,
    StoreAnswered,
    StoreChanged,
    StoreWaited,
    StoreWasBusy,
)
from tui.app.widgets import StatusLine
from tui.core.config.settings import load_config
from tui.core.errors import QueryCancelled

NOW = "2026-11-26T04:00"
POLL_SECONDS = 0.05
# Polls wanted after both failures: more than one, so the poll is seen to go on.
POLLS_AFTER = 3


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo, so this app's writes touch no other test."""
    folder = tmp_path / "demo"
    shutil.copytree(demo_dir, folder, ignore=shutil.ignore_patterns(".oncall.duckdb.outbox*"))
    return folder / "oncall.yaml"


async def test_polling_goes_on_after_a_cancelled_and_a_failed_read(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = OncallApp.open(load_config(demo_copy), "alice", NOW, poll_seconds=POLL_SECONDS)
    reader = app.reader()
    real_changes = reader.changes
    # In order: what Esc does to a read in flight, then something nobody expected.
    failures: list[Exception] = [QueryCancelled("interrupted"), RuntimeError("unexpected")]
    calls: list[bool] = []  # one per poll's read: whether it failed

    def changes() -> int:
        if failures:
            calls.append(True)
            raise failures.pop(0)
        calls.append(False)
        return real_changes()

    monkeypatch.setattr(reader, "changes", changes)
    async with app.run_test() as pilot:
        # Bounded: 200 pauses of one poll interval are seconds, far more than needed.
        for _ in range(200):
            await pilot.pause(POLL_SECONDS)
            if calls.count(False) >= POLLS_AFTER:
                break
        assert failures == [], f"the poll did not get through its failures: {calls}"
        assert calls[:2] == [True, True], calls
        assert calls.count(False) >= POLLS_AFTER, f"polling stopped after a failure: {calls}"
        # The polls after the failures answered and the app took their counter.
        assert app.changes == real_changes()


async def test_store_reports_land_under_a_dialog_and_are_dropped_after_close(
    demo_copy: Path,
) -> None:
    """Workers answer whenever they finish: while a dialog (help, a comment, the
    palette) is on top, and after the app has begun closing. Under a dialog the report
    reaches the main screen's status line; once its widgets are gone it is dropped."""
    # No poll in this test: it would reset the pending count this test reads.
    app = OncallApp.open(load_config(demo_copy), "alice", NOW, poll_seconds=3600)
    async with app.run_test() as pilot:
        await pilot.pause()
        app.push_screen(HelpScreen("the app", []))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        app.post_message(StoreWaited("a slow read"))
        await pilot.pause()
        status = app.query_one(StatusLine)
        assert status.waiting == "a slow read"
        app.post_message(StoreAnswered("a slow read"))
        app.post_message(ActionDone("noted", queued=True))
        for _ in range(5):
            await pilot.pause()
        assert (status.waiting, status.pending) == ("", 1)
        assert isinstance(app.screen, HelpScreen)
    # The late answers a closing app gets: each is dropped without raising.
    app.on_store_waited(StoreWaited("late"))
    app.on_store_answered(StoreAnswered("late"))
    app.on_store_was_busy(StoreWasBusy("late", 1234))
    app.on_action_done(ActionDone("late", queued=True))
    app.on_store_changed(StoreChanged())
    app.on_shift_loaded(ShiftLoaded("late"))
