"""Read-only: the role rule refuses every change in a process opened to look (the
console served to watchers), from the command line and in the app, leaves other
people's pending actions alone, and still records a shadow's own calls. And the parts
of `oncall serve` that need no browser: the token file, the app's command line."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers import cli, count, settle, write_config
from tui.app.dialogs import Prompt
from tui.app.main import OncallApp
from tui.app.panes import ShiftReplay
from tui.app.widgets import StatusLine
from tui.cli.common import Env
from tui.cli.serve import app_command
from tui.core.actions import Action, ActionKind, flush, outbox, perform_or_queue
from tui.core.config.settings import load_config
from tui.core.config.times import Clock
from tui.core.errors import NotAllowedError
from tui.core.session import Session, require_can_change
from tui.core.store.connection import Store
from tui.web.token import token_matches

NOW = "2026-11-26T04:00"
CHANGED = ("alert_events", "bug_events", "bugs", "silences", "applied_actions")


def changes(config: Path) -> dict[str, int]:
    db = config.parent / "oncall.duckdb"
    return {t: count(db, f"SELECT count(*) FROM {t}") for t in CHANGED}  # noqa: S608


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str, code: int = 0) -> Any:
    result = cli(capsys, "--config", config, "--now", NOW, *args)
    assert result.code == code, (result.code, result.err)
    return result


def test_the_role_rule_refuses_a_read_only_process_whoever_acts(tmp_path: Path) -> None:
    settings = load_config(write_config(tmp_path))
    assert require_can_change(settings, "alice") == "alice"  # a veteran may
    with pytest.raises(NotAllowedError, match="opened read-only"):
        require_can_change(settings.as_read_only(), "alice")
    # Without a roster anyone may change state, unless the process is read-only.
    alone = load_config(write_config(tmp_path, "models:\n  m: {task: regression}\n"))
    assert require_can_change(alone, "anyone") == "anyone"
    with pytest.raises(NotAllowedError, match="opened read-only"):
        require_can_change(alone.as_read_only(), "anyone")


def test_every_change_on_the_command_line_is_refused_read_only(
    drill_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = changes(drill_config)
    alert = str(run(capsys, drill_config, "alerts", "list", "--json").json()[0]["id"])
    look = ("--read-only", "--as", "alice")
    for args in (
        ("alerts", "ack", alert, "--note", "x"),
        ("alerts", "resolve", alert),
        ("alerts", "silence", "--match", "kind=drift", "--for", "1h"),
        ("bugs", "new", "--title", "x", "--model", "checkout_risk"),
    ):
        refused = run(capsys, drill_config, *look, *args, code=3)
        assert "opened read-only" in refused.err and "Traceback" not in refused.err
    assert changes(drill_config) == before
    # Reading works, and without --read-only the same person may act.
    run(capsys, drill_config, *look, "alerts", "show", alert)
    run(capsys, drill_config, "--as", "alice", "alerts", "ack", alert)
    assert changes(drill_config)["alert_events"] == before["alert_events"] + 1


def test_a_read_only_process_leaves_pending_actions_for_a_writer(drill_config: Path) -> None:
    settings = load_config(drill_config)
    store = Store(settings.store_path, timeout=0.5)
    now = datetime.fromisoformat(NOW)
    writer = Session(settings, store, "alice", Clock.at(now))
    holder = duckdb.connect(str(settings.store_path))
    try:
        action = Action.new(ActionKind.NOTE, 1, "alice", now, "kept while busy")
        assert perform_or_queue(writer, action) is False  # queued: the store was held
    finally:
        holder.close()
    looker = Session(settings.as_read_only(), store, "alice", Clock.at(now))
    assert flush(looker) == 0
    assert [a.action_id for a in outbox.pending(store)] == [action.action_id]
    assert flush(writer) == 1
    assert outbox.pending(store) == []


async def test_the_app_says_read_only_and_refuses_an_ack_at_the_key(drill_config: Path) -> None:
    before = changes(drill_config)
    settings = load_config(drill_config).as_read_only()
    app = OncallApp.open(settings, "alice", NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert " read-only " in str(app.query_one(StatusLine).render())
        for key in ("a", "r", "b", "x"):
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, Prompt)  # refused before any dialog
        said = [n.message for n in app._notifications]
        assert len([m for m in said if m.startswith("opened read-only")]) == 4
    assert changes(drill_config) == before


async def test_a_read_only_app_still_records_a_shadows_calls(
    drill_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = "2026-11-25T00:00"
    for who, role in (("alice", "primary"), ("bob", "shadow")):
        result = cli(
            capsys, "--config", drill_config, "--now", started, "--as", who, "shift", "start",
            "--role", role,
        )  # fmt: skip
        assert result.code == 0, result.err
    settings = load_config(drill_config).as_read_only()
    app = OncallApp.open(settings, "bob", NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5", "f")
        await settle(pilot)
        replay = app.query_one(ShiftReplay)
        assert replay.following is not None
        first = replay.follow_next()
        assert first is not None
        await pilot.press("w")
        await settle(pilot)
    with Store(load_config(drill_config).store_path).read() as con:
        calls = con.execute("SELECT alert_id, call FROM shadow_calls").fetchall()
    assert calls == [(first["id"], "watch")]


def test_a_token_file_must_be_private_and_hold_a_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path)
    config = tmp_path / "oncall.yaml"
    token = tmp_path / "token"
    cases: list[tuple[str, int | None, str]] = [
        ("", 0o600, "is empty"),
        ("  \n", 0o600, "is empty"),
        ("s3cret-token-of-32-characters-xx\n", 0o644, "readable by every user (mode 0644)"),
        ("two words", 0o600, "one line of letters, digits"),
        ("x", None, "no such file"),
    ]
    for text, mode, said in cases:
        token.unlink(missing_ok=True)
        if mode is not None:
            token.write_text(text)
            token.chmod(mode)
        result = cli(capsys, "--config", config, "serve", "--token-file", token)
        assert result.code == 2, result.err
        assert said in result.err and "(--token-file)" in result.err
        assert str(token) in result.err and "Traceback" not in result.err


def test_a_bad_host_is_refused_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    result = cli(capsys, "--config", config, "serve", "--host", "not an address")
    assert result.code == 2 and "--host takes an IP address" in result.err


def test_tokens_compare_whole() -> None:
    assert token_matches("abc", "abc")
    assert not token_matches("ab", "abc") and not token_matches("abcd", "abc")
    assert not token_matches(None, "abc") and not token_matches("", "abc")


def test_read_only_travels_on_each_app_processs_command_line(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    env = Env(config_path=str(config), actor="Alice", now_text=NOW)
    looking = shlex.split(app_command(env, read_only=True))
    acting = shlex.split(app_command(env, read_only=False))
    assert looking[:3] == [sys.executable, "-m", "tui"]
    assert "--read-only" in looking and "--read-only" not in acting
    assert looking[looking.index("--as") + 1] == "alice"  # as the roster spells it
    assert looking[looking.index("--config") + 1] == str(config.resolve())
    assert looking[looking.index("--now") + 1] == "2026-11-26T04:00:00"
    # That command line is a read-only `oncall`: a change through it is refused.
    ack = [*looking, "alerts", "ack", "1"]
    done = subprocess.run(
        ack, capture_output=True, text=True, cwd=tmp_path, env={**os.environ}, check=False
    )
    assert done.returncode == 3 and "opened read-only" in done.stderr


def test_only_serve_loads_the_web_server() -> None:
    code = (
        "import sys\n"
        "from tui.cli.main import main\n"
        "main(['--help'])\n"
        "print([m for m in ('aiohttp', 'textual_serve', 'tui.web') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "serve" in out.stdout
