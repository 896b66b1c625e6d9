"""The outbox applies every queued action exactly once: appends made while a flush
waits on the store are kept, a crash mid-flush (kill -9) neither loses nor repeats an
action, a line that does not parse is set aside and said, every CLI writer drains it,
and the app's bug comments taken while the store is held go through it too."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from tests.helpers import cli
from tui.app.main import OncallApp
from tui.app.panes.bugs import BugQueue
from tui.app.widgets import StatusLine
from tui.core.actions import Action, ActionKind, flush, outbox
from tui.core.config.settings import Settings, load_config
from tui.core.config.times import Clock
from tui.core.errors import OncallError
from tui.core.session import Session
from tui.core.store.connection import Store
from tui.core.work.bugs import NewBug, file_bug

NOW = datetime(2026, 11, 26, 4, 0)
ROOT = Path(__file__).resolve().parent.parent

HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    sys.stdin.readline()
    con.close()
    """
)

# A flusher that kills itself (SIGKILL, no cleanup) right after its K-th applied
# action, between applying it and taking it out of the outbox; K=0: a clean flush.
CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from tui.core.actions import door
    from tui.core.config.settings import load_config
    from tui.core.config.times import Clock
    from tui.core.session import Session
    from tui.core.store.connection import Store

    config, kill_after = sys.argv[1], int(sys.argv[2])
    settings = load_config(config)
    session = Session(settings, Store(settings.store_path, timeout=30), "alice",
                      Clock.from_text("2026-11-26T04:00"))
    real, done = door.perform, [0]

    def perform(session, action):
        applied = real(session, action)
        done[0] += 1
        if kill_after and done[0] >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return applied

    door.perform = perform
    print("flushing", flush=True)
    door.flush(session)
    """
)


@pytest.fixture
def settings(project: Path) -> Settings:
    return load_config(project / "oncall.yaml")


@pytest.fixture
def bug_id(settings: Settings) -> int:
    return file_bug(Store(settings.store_path), settings, NewBug("flaky", "churn"), "alice", NOW)


def session_of(settings: Settings, timeout: float = 10) -> Session:
    return Session(settings, Store(settings.store_path, timeout=timeout), "alice", Clock(NOW))


def comment(bug: int, text: str, minute: int = 0) -> Action:
    return Action.on_bug(
        ActionKind.BUG_COMMENT, bug, "alice", NOW + timedelta(minutes=minute), text
    )


def comments(settings: Settings, bug: int) -> list[str]:
    """The texts of the bug's comments, in the order they were recorded."""
    with Store(settings.store_path, timeout=10).read() as con:
        rows = con.execute(
            "SELECT detail FROM bug_events WHERE bug_id = ? AND action = 'comment' "
            "ORDER BY event_id",
            [bug],
        ).fetchall()
    return [json.loads(r[0])["text"] for r in rows]


@pytest.fixture
def held(settings: Settings) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store until its stdin gets a line."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(settings.store_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    yield proc
    release(proc)


def release(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=30)


def test_actions_appended_while_a_flush_waits_on_the_store_are_kept(
    settings: Settings, bug_id: int, held: subprocess.Popen[str]
) -> None:
    store = Store(settings.store_path, timeout=20)
    first = [comment(bug_id, f"early {i}", i) for i in range(5)]
    for action in first:
        outbox.append(store, action)
    result: list[int] = []
    flusher = threading.Thread(target=lambda: result.append(flush(session_of(settings, 20))))
    flusher.start()
    time.sleep(0.5)  # the flush has read the outbox and waits on the held store
    late = [comment(bug_id, f"late {i}", 10 + i) for i in range(9)]
    for action in late:
        started = time.monotonic()
        outbox.append(store, action)
        assert time.monotonic() - started < 1, "an append waited on the flush"
    assert flusher.is_alive(), "the flush should still be waiting on the store"
    release(held)
    flusher.join(timeout=60)
    assert result == [5]
    # Only the applied ids went; everything appended meanwhile waits for the next flush.
    assert [a.action_id for a in outbox.pending(store)] == [a.action_id for a in late]
    assert flush(session_of(settings)) == 9
    assert outbox.pending(store) == []
    assert comments(settings, bug_id) == [a.text for a in first + late]


def test_a_flush_killed_again_and_again_applies_each_action_exactly_once(
    settings: Settings, bug_id: int
) -> None:
    store = Store(settings.store_path)
    queued = [comment(bug_id, f"note {i}", i) for i in range(8)]
    for action in queued[:6]:
        outbox.append(store, action)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    config = str(settings.path)
    # kill -9 right after applying (before removing), several times, appending between.
    for kill_after, extra in ((1, None), (2, queued[6]), (1, None), (3, queued[7]), (1, None)):
        proc = subprocess.run(
            [sys.executable, "-c", CRASHER, config, str(kill_after)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        if extra is not None:
            outbox.append(store, extra)
    # And kill -9 at whatever moment a flush has reached.
    for delay in (0.05, 0.2, 0.4):
        outbox.append(store, extra := comment(bug_id, f"timed {delay}", 30))
        queued.append(extra)
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHER, config, "0"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "flushing"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    done = subprocess.run(
        [sys.executable, "-c", CRASHER, config, "0"], env=env, timeout=120, check=False
    )
    assert done.returncode == 0
    assert outbox.pending(store) == []
    assert sorted(comments(settings, bug_id)) == sorted(a.text for a in queued)


def test_a_line_that_does_not_parse_is_quarantined_and_the_rest_applied(
    settings: Settings, bug_id: int
) -> None:
    store = Store(settings.store_path)
    path = outbox.outbox_path(store)
    outbox.append(store, comment(bug_id, "one", 1))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("this is not json\n")
        handle.write('{"action_id": "x", "kind": "no such kind"}\n')
        handle.write('{"action_id": "torn", "kind": "bug_')  # a crash mid-append
    outbox.append(store, comment(bug_id, "two", 2))
    said: list[tuple[int, Path]] = []
    assert flush(session_of(settings), on_quarantine=lambda n, p: said.append((n, p))) == 2
    assert comments(settings, bug_id) == ["one", "two"]
    kept = outbox.quarantine_path(store)
    assert said == [(3, kept)]
    assert kept.read_text(encoding="utf-8").splitlines() == [
        "this is not json",
        '{"action_id": "x", "kind": "no such kind"}',
        '{"action_id": "torn", "kind": "bug_',
    ]
    assert not path.exists()
    assert flush(session_of(settings), on_quarantine=lambda n, p: said.append((n, p))) == 0
    assert len(said) == 1  # said once, not on every flush


def test_a_refused_action_is_reported_and_taken_out(settings: Settings, bug_id: int) -> None:
    store = Store(settings.store_path)
    outbox.append(store, comment(bug_id + 99, "on a bug that does not exist"))
    outbox.append(store, comment(bug_id, "fine", 1))
    refused: list[tuple[Action, OncallError]] = []
    assert flush(session_of(settings), on_error=lambda a, e: refused.append((a, e))) == 1
    assert [a.bug_id for a, _ in refused] == [bug_id + 99]
    assert outbox.pending(store) == []
    assert comments(settings, bug_id) == ["fine"]


def test_a_store_that_cannot_be_written_keeps_the_queue(
    settings: Settings, bug_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk or a damaged store is for now, not a refusal: nothing is dropped."""
    from tui.core.actions import door
    from tui.core.errors import StoreUnavailable

    store = Store(settings.store_path)
    outbox.append(store, comment(bug_id, "kept"))

    def full(*_args: object) -> bool:
        raise StoreUnavailable("disk full")

    monkeypatch.setattr(door, "perform", full)
    assert flush(session_of(settings)) == 0
    assert [a.text for a in outbox.pending(store)] == ["kept"]
    monkeypatch.undo()
    assert flush(session_of(settings)) == 1
    assert comments(settings, bug_id) == ["kept"]


def test_a_replay_acts_under_the_login_that_queued_the_action(project: Path) -> None:
    """Bob's process drains alice's queued comment: it is checked and recorded as
    alice's login, not refused (and not dropped) because bob may not act as alice."""
    config = project / "oncall.yaml"
    text = config.read_text().replace("trust_as: true", "trust_as: false")
    text = text.replace(
        "{name: alice, role: veteran}", "{name: alice, role: veteran, logins: [alice-os]}"
    )
    config.write_text(text)
    settings = load_config(config)
    assert not settings.config.trust_as and settings.config.team[0].logins == ["alice-os"]
    store = Store(settings.store_path)
    from tui.core.session.login import acting_as_login

    with acting_as_login("alice-os"):
        bug = file_bug(store, settings, NewBug("flaky", "churn"), "alice", NOW)
        outbox.append(store, comment(bug, "from alice"))
    with acting_as_login("bob-os"):
        assert flush(session_of(settings)) == 1
    assert comments(settings, bug) == ["from alice"]
    with store.read() as con:
        logins = {r[0] for r in con.execute("SELECT login FROM event_logins").fetchall()}
    assert logins == {"alice-os"}


def test_a_cli_write_drains_the_outbox_first(
    capsys: pytest.CaptureFixture[str], settings: Settings, bug_id: int
) -> None:
    store = Store(settings.store_path)
    queued = comment(bug_id, "queued in the app", -30)
    outbox.append(store, queued)
    result = cli(capsys, "--as", "alice", "bugs", "comment", str(bug_id), "--text", "from the cli")
    assert result.code == 0, result.err
    assert "1 pending action(s) applied" in result.err
    assert comments(settings, bug_id) == ["queued in the app", "from the cli"]
    assert outbox.pending(store) == []
    with store.read() as con:
        row = con.execute(
            "SELECT actor, acted_at FROM bug_events WHERE action = 'comment' ORDER BY event_id"
        ).fetchone()
    assert row == ("alice", NOW - timedelta(minutes=30))  # its recorded actor and time
    # A reading command leaves the outbox alone.
    outbox.append(store, later := comment(bug_id, "later"))
    assert cli(capsys, "bugs", "list").code == 0
    assert [a.action_id for a in outbox.pending(store)] == [later.action_id]


# ---------------------------------------------------------------- the app

APP_NOW = "2026-11-26T04:00"
POLL = 0.2


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(demo_dir, folder, ignore=shutil.ignore_patterns(".oncall.duckdb.outbox*"))
    return folder / "oncall.yaml"


async def _wait(pilot: Any, ready: Any, rounds: int = 150) -> None:
    for _ in range(rounds):
        await pilot.pause(0.1)
        if ready():
            return


async def test_an_app_bug_comment_while_the_store_is_held_lands_once(demo_copy: Path) -> None:
    settings = load_config(demo_copy)
    store = Store(settings.store_path, timeout=10)
    model = next(iter(settings.config.models))
    bid = file_bug(store, settings, NewBug("seen in the app", model), "alice", NOW)
    app = OncallApp.open(settings, "alice", APP_NOW, poll_seconds=POLL)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("2")
        queue = app.query_one(BugQueue)
        await _wait(pilot, lambda: any(b.id == bid for b in queue.bugs))
        table = queue.query_one("#bug-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(bid)))
        await _wait(pilot, lambda: queue.detail is not None and queue.detail.bug.id == bid)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(settings.store_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        try:
            await pilot.press("c")
            await pilot.pause()
            await pilot.press(*"while held", "enter")
            await _wait(pilot, lambda: app.query_one(StatusLine).pending > 0)
            assert app.query_one(StatusLine).pending == 1
            assert [a.text for a in outbox.pending(store)] == ["while held"]
        finally:
            release(holder)
        await _wait(pilot, lambda: not outbox.pending(store) and comments(settings, bid))
        await _wait(pilot, lambda: app.query_one(StatusLine).pending == 0, rounds=30)
        assert app.query_one(StatusLine).pending == 0
    assert comments(settings, bid) == ["while held"]


async def test_the_app_says_a_line_it_could_not_read_and_polls_on(demo_copy: Path) -> None:
    settings = load_config(demo_copy)
    store = Store(settings.store_path, timeout=10)
    outbox.outbox_path(store).write_text("garbage\n", encoding="utf-8")
    app = OncallApp.open(settings, "alice", APP_NOW, poll_seconds=POLL)
    async with app.run_test(size=(160, 48)) as pilot:
        kept = outbox.quarantine_path(store)
        said = f"1 queued action could not be read; kept in {kept}"
        await _wait(pilot, lambda: any(said in n.message for n in app._notifications))
        assert any(said in n.message for n in app._notifications)
        app.changes = None
        await _wait(pilot, lambda: app.changes is not None)
        assert app.changes is not None, "polling stopped"
    assert kept.read_text(encoding="utf-8") == "garbage\n"
