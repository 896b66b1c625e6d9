"""Who may act: names compare case-insensitively, a roster shuts out strangers, the OS
login must be one allowed for the member (unless the config trusts `--as`), and every
event keeps the login beside the actor."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers import cli, count, write_config
from tui.core.alerts.episodes import add_event
from tui.core.config.settings import load_config
from tui.core.config.times import Clock
from tui.core.session import Session
from tui.core.store.connection import Store

NOW = "2026-11-26T04:00"

BASE = """\
store: store.duckdb
models:
  churn:
    task: binary
    positive: "yes"
"""

ROSTER = (
    BASE
    + """\
team:
  - {name: alice, role: veteran, logins: [alice, asmith]}
  - {name: carol, role: engineer}
  - {name: bob, role: trainee}
"""
)


def login_is(monkeypatch: pytest.MonkeyPatch, login: str) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: login)


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str, code: int = 0) -> Any:
    result = cli(capsys, "--config", config, "--now", NOW, *args)
    assert result.code == code, (result.code, result.err)
    return result


def new_bug(capsys: pytest.CaptureFixture[str], config: Path, *who: str, code: int = 0) -> Any:
    return run(
        capsys, config, *who, "bugs", "new", "--title", "t", "--model", "churn", "--json", code=code
    )


def events(config: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(config.parent / "store.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT e.actor, l.login FROM bug_events e "
            "LEFT JOIN event_logins l ON l.kind = 'bug' AND l.event_id = e.event_id "
            "ORDER BY e.event_id"
        ).fetchall()
    finally:
        con.close()


@pytest.fixture
def trusting(tmp_path: Path) -> Path:
    return write_config(tmp_path, ROSTER + "trust_as: true\n")


@pytest.fixture
def strict(tmp_path: Path) -> Path:
    return write_config(tmp_path, ROSTER)


def test_a_name_in_another_case_is_the_roster_member(
    trusting: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "root")
    refused = new_bug(capsys, trusting, "--as", "Bob", code=3)
    assert "bob is a trainee" in refused.err
    assert refused.out == ""
    refused = run(capsys, trusting, "--as", "BOB", "alerts", "ack", "1", code=3)
    assert "trainee" in refused.err
    bug = new_bug(capsys, trusting, "--as", "ALICE").json()
    assert bug["id"] >= 1
    # Recorded as the roster spells the name.
    assert events(trusting) == [("alice", "root")]


def test_a_name_not_on_the_roster_cannot_change_state(
    trusting: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "mallory")
    refused = new_bug(capsys, trusting, "--as", "mallory", code=3)
    assert f"mallory is not on the roster in {trusting.resolve()}; add them under team:" in (
        refused.err.replace("\n", "")
    )
    assert refused.out == ""
    # Without --as, the login acts, and it is not on the roster either.
    refused = run(capsys, trusting, "alerts", "ack", "1", code=3)
    assert "not on the roster" in refused.err
    # Reading is still allowed.
    assert run(capsys, trusting, "--as", "mallory", "bugs", "list", "--json").json() == []


def test_without_a_roster_anyone_may_act(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "root")
    config = write_config(tmp_path, BASE)
    new_bug(capsys, config, "--as", "whoever")
    assert events(config) == [("whoever", "root")]


def test_the_login_must_be_allowed_for_the_member(
    strict: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "asmith")
    new_bug(capsys, strict, "--as", "alice")
    # Without --as the login stands for the member who lists it.
    new_bug(capsys, strict)
    login_is(monkeypatch, "eve")
    refused = new_bug(capsys, strict, "--as", "alice", code=3)
    assert "the login 'eve' may not act as alice" in refused.err
    assert "trust_as" in refused.err
    # A member who lists no logins: their own name is the login allowed.
    refused = new_bug(capsys, strict, "--as", "carol", code=3)
    assert "may not act as carol" in refused.err
    login_is(monkeypatch, "Carol")
    new_bug(capsys, strict, "--as", "carol")
    new_bug(capsys, strict)
    assert events(strict) == [
        ("alice", "asmith"),
        ("alice", "asmith"),
        ("carol", "Carol"),
        ("carol", "Carol"),
    ]


def test_a_config_that_trusts_as_lets_any_login_act_as_a_member(
    trusting: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "eve")
    new_bug(capsys, trusting, "--as", "alice")
    new_bug(capsys, trusting, "--as", "carol")
    assert events(trusting) == [("alice", "eve"), ("carol", "eve")]


def test_a_trainee_stays_refused_after_ending_a_shadow_shift(
    trusting: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "root")
    run(capsys, trusting, "--as", "alice", "shift", "start")
    run(capsys, trusting, "--as", "bob", "shift", "start", "--role", "shadow")
    assert "shadow" in new_bug(capsys, trusting, "--as", "bob", code=3).err
    run(capsys, trusting, "--as", "bob", "shift", "end")
    for who in ("bob", "Bob", "BOB"):
        refused = new_bug(capsys, trusting, "--as", who, code=3)
        assert "bob is a trainee" in refused.err
        refused = run(capsys, trusting, "--as", who, "alerts", "ack", "1", code=3)
        assert "trainee" in refused.err
    assert count(trusting.parent / "store.duckdb", "SELECT count(*) FROM bug_events") == 0


def test_a_stranger_who_shadowed_cannot_act_after_the_shift(
    trusting: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "root")
    run(capsys, trusting, "--as", "alice", "shift", "start")
    started = cli(
        capsys,
        "--config",
        trusting,
        "--now",
        NOW,
        "--as",
        "zed",
        "shift",
        "start",
        "--role",
        "shadow",
    )
    if started.code == 0:
        run(capsys, trusting, "--as", "zed", "shift", "end")
    refused = new_bug(capsys, trusting, "--as", "zed", code=3)
    assert "not on the roster" in refused.err


def test_roster_names_and_logins_are_unique_case_insensitively(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = write_config(tmp_path, BASE + "team:\n  - {name: alice}\n  - {name: Alice}\n")
    result = run(capsys, twice, "bugs", "list", code=2)
    assert "team member 'Alice' is listed twice (as 'alice' too)" in result.err
    shared = write_config(
        tmp_path,
        BASE + "team:\n  - {name: alice, logins: [ops]}\n  - {name: carol, logins: [OPS]}\n",
    )
    result = run(capsys, shared, "bugs", "list", code=2)
    assert "login 'ops' is listed for both 'alice' and 'carol'" in result.err
    unknown = write_config(tmp_path, BASE + "team:\n  - {name: alice, login: ops}\n")
    result = run(capsys, unknown, "bugs", "list", code=2)
    assert "team.0.login: unknown key" in result.err


def test_the_session_and_alert_events_keep_the_roster_name_and_the_login(
    trusting: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_is(monkeypatch, "asmith")
    settings = load_config(trusting)
    store = Store(settings.store_path)
    at = datetime.fromisoformat(NOW)
    assert Session(settings, store, "Alice", Clock.at(at)).actor == "alice"
    assert Session(settings, store, "asmith", Clock.at(at)).actor == "alice"
    assert Session(settings, store, "zed", Clock.at(at)).actor == "zed"
    with store.write() as con:
        add_event(con, 7, at, "alice", "ack", note="x")
    con = duckdb.connect(str(settings.store_path))
    try:
        rows = con.execute(
            "SELECT e.actor, l.login FROM alert_events e JOIN event_logins l "
            "ON l.kind = 'alert' AND l.event_id = e.event_id WHERE e.alert_id = 7"
        ).fetchall()
        assert rows == [("alice", "asmith")]
        # Append-only: the recorded login can be neither changed nor removed.
        with pytest.raises(duckdb.Error):
            con.execute("UPDATE event_logins SET login = 'eve'")
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM event_logins")
    finally:
        con.close()


def test_a_roster_of_names_alone_keeps_believing_as_among_its_members(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Configs written before `logins:` list names only: their members may still act
    `--as` one another from any login; a stranger and a trainee stay refused."""
    names_only = write_config(
        tmp_path,
        BASE + "team:\n  - {name: alice, role: veteran}\n  - {name: bob, role: trainee}\n",
    )
    login_is(monkeypatch, "eve")
    new_bug(capsys, names_only, "--as", "Alice")
    assert "not on the roster" in new_bug(capsys, names_only, "--as", "mallory", code=3).err
    assert "trainee" in new_bug(capsys, names_only, "--as", "bob", code=3).err
    assert events(names_only) == [("alice", "eve")]
