"""Alert actions through the command line: who did what, append-only, trainees refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers import cli
from tui.core.alerts import Alert, list_alerts, parse_matchers
from tui.core.config.settings import load_config
from tui.core.errors import UsageError
from tui.core.store.connection import Store

NOW = "2026-11-26T04:00"


@pytest.fixture
def config(drill_config: Path) -> Path:
    return drill_config


def run(
    capsys: pytest.CaptureFixture[str], config: Path, *args: str, who: str = "alice", now: str = NOW
) -> Any:
    return cli(capsys, "--config", config, "--now", now, "--as", who, *args)


def _firing(capsys: pytest.CaptureFixture[str], config: Path) -> list[dict[str, Any]]:
    result = run(capsys, config, "alerts", "list", "--status", "all", "--json")
    assert result.code == 0, result.err
    return list(result.json())


def test_list_json_carries_the_promised_fields(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = _firing(capsys, config)
    assert alerts
    for a in alerts:
        for key in (
            "id",
            "fingerprint",
            "model",
            "check",
            "kind",
            "feature",
            "slice",
            "severity",
            "status",
            "first_seen",
            "last_seen",
            "count",
            "value",
            "threshold",
            "actionability",
        ):
            assert key in a
        assert a["slice"] is None or isinstance(a["slice"], dict)
        assert a["severity"] in ("warning", "critical")
    table = run(capsys, config, "alerts", "list", "--status", "all")
    assert table.code == 0
    # Captured output is not a terminal: the table is printed whole, never cut to 80
    # columns (issue 14), one line per alert.
    lines = table.out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [str(a["id"]) for a in alerts]
    assert not any("…" in line for line in lines)


def test_ack_note_mark_and_track_record(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alert = _firing(capsys, config)[0]
    aid = str(alert["id"])
    assert run(capsys, config, "alerts", "ack", aid, "--note", "looking at FR").code == 0
    assert run(capsys, config, "alerts", "note", aid, "--text", "gateway team paged").code == 0
    assert run(capsys, config, "alerts", "mark", aid, "--actionable").code == 0
    shown = run(capsys, config, "alerts", "show", aid, "--json").json()
    actions = [(e["actor"], e["action"]) for e in shown["events"]]
    assert ("oncall", "opened") in actions
    assert ("alice", "ack") in actions and ("alice", "note") in actions
    assert ("alice", "mark_actionable") in actions
    if shown["status"] != "resolved":
        assert shown["status"] == "acked"
        assert shown["acked_by"] == "alice"
    assert shown["results"], "an alert has its metric over time"
    assert shown["track_record"]["acted"] >= 1
    assert shown["actionability"] > 0


def test_snooze_expires_by_the_clock(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    firing = [a for a in _firing(capsys, config) if a["status"] == "firing"]
    assert firing
    aid = str(firing[0]["id"])
    assert run(capsys, config, "alerts", "snooze", aid, "--for", "2h").code == 0
    snoozed = run(capsys, config, "alerts", "list", "--status", "snoozed", "--json").json()
    assert [a["id"] for a in snoozed] == [firing[0]["id"]]
    later = run(
        capsys, config, "alerts", "list", "--status", "firing", "--json", now="2026-11-26T06:01"
    ).json()
    assert firing[0]["id"] in [a["id"] for a in later]


def test_silence_hides_but_keeps_and_expires(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = [a for a in _firing(capsys, config) if a["status"] == "firing"]
    assert before
    target = before[0]
    made = run(
        capsys,
        config,
        "alerts",
        "silence",
        "--match",
        f"model={target['model']}",
        "--match",
        f"kind={target['kind']}",
        "--for",
        "8h",
        "--note",
        "known",
        "--json",
    )
    assert made.code == 0, made.err
    silence_id = made.json()["id"]
    silenced = run(capsys, config, "alerts", "list", "--status", "silenced", "--json").json()
    assert target["id"] in [a["id"] for a in silenced]
    active = run(capsys, config, "alerts", "list", "--json").json()
    assert target["id"] not in [a["id"] for a in active]
    listed = run(capsys, config, "alerts", "silences", "--json").json()
    assert listed[0]["matchers"] == {"model": target["model"], "kind": target["kind"]}
    after_expiry = run(capsys, config, "alerts", "list", "--json", now="2026-11-26T12:01").json()
    assert target["id"] in [a["id"] for a in after_expiry]
    assert run(capsys, config, "alerts", "expire", str(silence_id)).code == 0
    back = run(capsys, config, "alerts", "list", "--json").json()
    assert target["id"] in [a["id"] for a in back]
    bad = run(capsys, config, "alerts", "silence", "--match", "planet=mars")
    assert bad.code == 2 and "not one of" in bad.err


def test_resolve_by_hand(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    firing = [a for a in _firing(capsys, config) if a["status"] == "firing"]
    aid = str(firing[0]["id"])
    assert run(capsys, config, "alerts", "resolve", aid).code == 0
    shown = run(capsys, config, "alerts", "show", aid, "--json").json()
    assert shown["status"] == "resolved"
    assert shown["resolved_by"] == "alice"
    again = run(capsys, config, "alerts", "resolve", aid)
    assert again.code == 2 and "already resolved" in again.err
    # Checking again does not undo a person's decision.
    assert run(capsys, config, "check").code == 0
    assert run(capsys, config, "alerts", "show", aid, "--json").json()["status"] == "resolved"


def test_trainee_cannot_change_alerts(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    aid = str(_firing(capsys, config)[0]["id"])
    for args in (
        ("ack", aid),
        ("snooze", aid),
        ("resolve", aid),
        ("note", aid, "--text", "x"),
        ("mark", aid, "--actionable"),
        ("silence", "--match", "kind=drift"),
    ):
        result = run(capsys, config, "alerts", *args, who="bob")
        assert result.code == 3, args
        assert "trainee" in result.err
    # Reading is fine.
    assert run(capsys, config, "alerts", "list", who="bob").code == 0


def test_unknown_alert_is_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, config, "alerts", "show", "999999")
    assert result.code == 2
    assert "no alert with id 999999" in result.err


def test_alert_history_is_append_only_in_the_store(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aid = str(_firing(capsys, config)[0]["id"])
    assert run(capsys, config, "alerts", "note", aid, "--text", "keep me").code == 0
    con = duckdb.connect(str(config.parent / "oncall.duckdb"))
    try:
        for sql in (
            "UPDATE alert_events SET detail = '{}' WHERE action = 'note'",
            "UPDATE alert_events SET actor = 'mallory'",
            "DELETE FROM alert_events WHERE action = 'note'",
        ):
            with pytest.raises(duckdb.ConstraintException):
                con.execute(sql)
        assert (
            con.execute("SELECT count(*) FROM alert_events WHERE action = 'note'").fetchall()[0][0]
            == 1
        )
    finally:
        con.close()


def test_every_action_can_answer_in_json(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """For scripts: with --json an action prints the alert as it now is on stdout; what
    was done is still said on stderr."""
    alert = next(a for a in _firing(capsys, config) if a["status"] == "firing")
    aid = str(alert["id"])
    for args, last_action in (
        (("ack", aid, "--note", "on it"), "ack"),
        (("note", aid, "--text", "paged the gateway team"), "note"),
        (("mark", aid, "--noise", "known flake"), "mark_noise"),
        (("snooze", aid, "--for", "1h"), "snooze"),
        (("resolve", aid), "resolve"),
    ):
        result = run(capsys, config, "alerts", *args, "--json")
        assert result.code == 0, result.err
        shown = result.json()
        assert shown["id"] == alert["id"] and shown["events"][-1]["action"] == last_action
        assert shown["events"][-1]["actor"] == "alice" and result.err.strip()
    assert shown["status"] == "resolved"
    note = run(
        capsys,
        config,
        "alerts",
        "runbook",
        f"{alert['model']}/{alert['kind']}",
        "--text",
        "check the partner feed first",
        "--json",
    )
    assert note.code == 0, note.err
    assert note.json() == {
        "model": alert["model"],
        "kind": alert["kind"],
        "feature": None,
        "text": "check the partner feed first",
    }


def test_list_json_is_the_record_keys_in_order(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every field of `Alert`, in the order scripts have always seen them."""
    alerts = _firing(capsys, config)
    assert alerts
    keys = [
        "id", "fingerprint", "model", "check", "kind", "feature", "slice", "severity",
        "status", "first_seen", "last_seen", "count", "value", "worst_value", "threshold",
        "detail", "acked_by", "snoozed_until", "resolved_at", "resolved_by", "marked",
        "actionability", "track_record", "runbook",
    ]  # fmt: skip
    assert all(list(a) == keys for a in alerts)
    assert keys == list(Alert.__dataclass_fields__)
    records = list_alerts(
        Store(load_config(config).store_path), datetime.fromisoformat(NOW), status="all"
    )
    assert [r.id for r in records] == [a["id"] for a in alerts]


def test_core_errors_name_the_setting_and_the_cli_its_flag(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_config(config)
    store, now = Store(settings.store_path), datetime.fromisoformat(NOW)
    for kwargs, field in (({"status": "sideways"}, "status"), ({"sort": "sideways"}, "sort")):
        with pytest.raises(UsageError) as caught:
            list_alerts(store, now, **kwargs)
        assert caught.value.field == field and "--" not in caught.value.message
        bad = run(capsys, config, "alerts", "list", f"--{field}", "sideways")
        assert bad.code == 2 and f"(--{field})" in bad.err and "sideways" in bad.err
    for pairs in ([], ["kind"], ["planet=mars"]):
        with pytest.raises(UsageError) as caught:
            parse_matchers(settings, pairs)
        assert caught.value.field == "match" and "--" not in caught.value.message
    bad = run(capsys, config, "alerts", "silence", "--match", "kind")
    assert bad.code == 2 and "(--match)" in bad.err
