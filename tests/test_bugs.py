"""The bug queue, shifts, handoff and runbook notes, driven through the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from textual.widgets import DataTable

from tests.conftest import DEMO_NOW
from tests.helpers import cli
from tui.app.main import OncallApp
from tui.app.messages import BugsLoaded
from tui.app.panes.bugs import BugQueue
from tui.core.config.settings import load_config
from tui.core.errors import NotFoundError, UsageError
from tui.core.store.connection import Store, fetch_rows
from tui.core.work import shifts
from tui.core.work.bugs import (
    FIELDS,
    Bug,
    BugDetail,
    NewBug,
    NoSuchBug,
    close,
    file_bug,
    link,
    list_bugs,
    replay,
    show_bug,
)
from tui.sandbox.scenario import load_scenario

NOW = "2026-11-26T04:00"


@pytest.fixture
def config(drill_config: Path) -> Path:
    return drill_config


def run(
    capsys: pytest.CaptureFixture[str],
    config: Path,
    *args: str,
    who: str = "alice",
    now: str = NOW,
    code: int = 0,
) -> Any:
    result = cli(capsys, "--config", config, "--now", now, "--as", who, *args)
    assert result.code == code, result.err
    return result


def _alert(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, Any]:
    alerts = run(capsys, config, "alerts", "list", "--status", "all", "--json").json()
    return next(a for a in alerts if a["slice"])


def test_the_whole_lifecycle(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    alert = _alert(capsys, config)
    before = run(capsys, config, "alerts", "show", str(alert["id"]), "--json").json()
    bug = run(
        capsys,
        config,
        "bugs",
        "new",
        "--title",
        "FR baskets empty",
        "--model",
        alert["model"],
        "--priority",
        "P1",
        "--tag",
        "data",
        "--alert",
        str(alert["id"]),
        "--root-cause",
        "missing_feature_data",
        "--json",
    ).json()
    bid = str(bug["id"])
    assert bug["status"] == "new" and bug["reporter"] == "alice"
    run(capsys, config, "bugs", "comment", bid, "--text", "gateway team says fixed at 10:00")
    run(
        capsys,
        config,
        "bugs",
        "edit",
        bid,
        "--status",
        "in_progress",
        "--assignee",
        "dana",
        "--tag",
        "gateway",
        "--untag",
        "data",
    )
    ((col, value),) = alert["slice"].items()
    run(
        capsys,
        config,
        "bugs",
        "link",
        bid,
        "--where",
        f"{col}={value}",
        "--since",
        "2026-11-22T09:00",
        "--until",
        "2026-11-22T15:00",
    )
    run(
        capsys,
        config,
        "bugs",
        "edit",
        bid,
        "--mitigation",
        "rule_or_filter",
        "--mitigation-note",
        "drop rows with empty basket for FR",
    )
    run(capsys, config, "bugs", "close", bid, "--resolution", "fixed")
    shown = run(capsys, config, "bugs", "show", bid, "--json").json()
    assert shown["status"] == "resolved"
    assert shown["assignee"] == "dana" and shown["tags"] == ["gateway"]
    actions = [e["action"] for e in shown["events"]]
    assert actions[0] == "created"
    for step in ("comment", "changed", "link", "closed"):
        assert step in actions
    assert len(actions) >= 6
    kinds = {link["kind"] for link in shown["links"]}
    assert kinds == {"alert", "slice"}
    after = run(capsys, config, "alerts", "show", str(alert["id"]), "--json").json()
    assert "bug_filed" in [e["action"] for e in after["events"]]
    assert after["track_record"]["acted"] == (before["track_record"] or {"acted": 0})["acted"] + 1
    assert [b["bug_id"] for b in after["bugs"]] == [bug["id"]]
    # Export: exactly the linked rows, with their labels.
    out = tmp_path / "delta.parquet"
    run(capsys, config, "bugs", "export", bid, "--out", str(out))
    frame = pl.read_parquet(out)
    con = duckdb.connect(str(config.parent / "oncall.duckdb"), read_only=True)
    assert col in ("market", "channel")  # a declared slice column of the drill
    expected = con.sql(
        "SELECT p.prediction_id, l.label FROM predictions p LEFT JOIN labels l "  # noqa: S608
        f"USING (model, prediction_id) WHERE p.model = $m AND p.{col} = $v "
        "AND p.ts >= '2026-11-22 09:00' AND p.ts < '2026-11-22 15:00' "
        "ORDER BY p.ts, p.prediction_id",
        params={"m": alert["model"], "v": value},
    ).pl()
    con.close()
    assert frame["prediction_id"].to_list() == expected["prediction_id"].to_list()
    assert frame["label"].to_list() == expected["label"].to_list()
    assert {"score", "prediction", "basket_eur", "market"} <= set(frame.columns)
    mitigations = run(
        capsys, config, "bugs", "mitigations", "--model", alert["model"], "--json"
    ).json()
    assert [m["id"] for m in mitigations] == [bug["id"]]
    assert run(capsys, config, "bugs", "list", "--json").json() == []
    assert [
        b["id"] for b in run(capsys, config, "bugs", "list", "--status", "all", "--json").json()
    ] == [bug["id"]]


def test_export_by_prediction_ids(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bid = str(
        run(
            capsys,
            config,
            "bugs",
            "new",
            "--title",
            "odd rows",
            "--model",
            "checkout_risk",
            "--json",
        ).json()["id"]
    )
    con = duckdb.connect(str(config.parent / "oncall.duckdb"), read_only=True)
    ids = [
        r[0]
        for r in con.execute("SELECT prediction_id FROM predictions ORDER BY ts LIMIT 3").fetchall()
    ]
    con.close()
    run(capsys, config, "bugs", "link", bid, *[x for i in ids for x in ("--prediction", i)])
    out = tmp_path / "ids.csv"
    run(capsys, config, "bugs", "export", bid, "--out", str(out))
    assert pl.read_csv(out)["prediction_id"].to_list() == ids


def test_history_is_append_only_and_state_rebuilds_from_it(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = run(
        capsys, config, "bugs", "new", "--title", "t", "--model", "checkout_risk", "--json"
    ).json()["id"]
    run(capsys, config, "bugs", "edit", str(bid), "--priority", "P0", "--status", "triaged")
    run(capsys, config, "bugs", "comment", str(bid), "--text", "x")
    settings = load_config(config)
    shown = show_bug(Store(settings.store_path), bid)
    bug = shown.to_json()
    rebuilt = replay(shown.events)
    for field in FIELDS:
        assert rebuilt[field] == bug[field], field
    assert rebuilt["version"] == bug["version"]
    con = duckdb.connect(str(config.parent / "oncall.duckdb"))
    try:
        for sql in ("UPDATE bug_events SET actor = 'mallory'", "DELETE FROM bug_events"):
            with pytest.raises(duckdb.ConstraintException):
                con.execute(sql)
    finally:
        con.close()


def test_a_stale_edit_is_a_conflict_naming_the_other_change(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bug = run(
        capsys, config, "bugs", "new", "--title", "t", "--model", "checkout_risk", "--json"
    ).json()
    read_version = str(bug["version"])
    run(capsys, config, "bugs", "edit", str(bug["id"]), "--status", "triaged", who="dana")
    stale = run(
        capsys,
        config,
        "bugs",
        "edit",
        str(bug["id"]),
        "--priority",
        "P0",
        "--if-version",
        read_version,
        code=2,
    )
    assert "changed since you read it" in stale.err
    assert "dana set status to 'triaged'" in stale.err
    shown = run(capsys, config, "bugs", "show", str(bug["id"]), "--json").json()
    assert shown["priority"] == "P2"


def test_errors_exit_2_and_trainees_exit_3(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = run(capsys, config, "bugs", "show", "4242", code=2)
    assert "no bug with id 4242" in missing.err
    run(
        capsys,
        config,
        "bugs",
        "new",
        "--title",
        "t",
        "--model",
        "checkout_risk",
        "--priority",
        "P9",
        code=2,
    )
    run(capsys, config, "bugs", "new", "--title", "t", "--model", "nope", code=2)
    bid = str(
        run(
            capsys, config, "bugs", "new", "--title", "t", "--model", "checkout_risk", "--json"
        ).json()["id"]
    )
    run(capsys, config, "bugs", "close", bid, "--resolution", "duplicate", code=2)
    for args in (
        ("new", "--title", "x", "--model", "checkout_risk"),
        ("edit", bid, "--status", "triaged"),
        ("comment", bid, "--text", "x"),
        ("close", bid, "--resolution", "fixed"),
    ):
        refused = run(capsys, config, "bugs", *args, who="bob", code=3)
        assert "trainee" in refused.err


def test_shifts_and_a_live_handoff(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, config, "shift", "start", now="2026-11-25T08:00")
    run(capsys, config, "shift", "start", "--role", "shadow", who="bob", now="2026-11-25T08:05")
    run(capsys, config, "shift", "start", who="bob", now="2026-11-25T08:06", code=2)
    run(capsys, config, "shift", "start", who="dana", now="2026-11-25T08:07", code=2)
    status = run(capsys, config, "shift", "status", "--json").json()
    assert {(s["engineer"], s["role"]) for s in status} >= {("alice", "primary"), ("bob", "shadow")}
    alert = _alert(capsys, config)
    run(
        capsys, config, "alerts", "ack", str(alert["id"]), "--note", "on it", now="2026-11-25T09:00"
    )
    run(
        capsys,
        config,
        "alerts",
        "silence",
        "--match",
        "kind=drift",
        "--for",
        "4h",
        now="2026-11-25T09:30",
    )
    bid = run(
        capsys,
        config,
        "bugs",
        "new",
        "--title",
        "live bug",
        "--model",
        "checkout_risk",
        "--json",
        now="2026-11-25T10:00",
    ).json()["id"]
    run(capsys, config, "shift", "end", now="2026-11-25T20:00")
    shifts = run(capsys, config, "shift", "list", "--json").json()
    live = next(s for s in shifts if s["engineer"] == "alice" and s["source"] == "live")
    report = run(capsys, config, "handoff", "--shift", str(live["id"]), now="2026-11-25T21:00").out
    for heading in (
        "# Handoff: shift",
        "## SLO status",
        "## What fired",
        "## What was done",
        "## Open items handed over",
        "## Noise this shift",
        "## Bugs",
    ):
        assert heading in report
    assert "Shadows: bob" in report
    assert f"ack alert #{alert['id']}" in report and "on it" in report
    assert "silenced kind=drift" in report
    assert f"filed bug #{bid} “live bug”" in report
    assert f"bug #{bid} [P2] live bug — new, owner unassigned" in report
    # The same report for scripts: its parts, and the Markdown itself.
    parts = run(
        capsys, config, "handoff", "--shift", str(live["id"]), "--json", now="2026-11-25T21:00"
    ).json()
    assert parts["markdown"] == report
    assert parts["shift"]["shift_id"] == live["id"] and parts["shadows"] == ["bob"]
    assert any(a["action"] == "ack" and a["alert_id"] == alert["id"] for a in parts["actions"])
    assert [b["id"] for b in parts["bugs"]] == [bid]


def test_runbook_notes_show_when_the_type_fires(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = _alert(capsys, config)
    kind_path = "/".join(x for x in (alert["model"], alert["kind"], alert["feature"]) if x)
    run(capsys, config, "alerts", "runbook", kind_path, "--text", "fires when the EU batch is late")
    shown = run(capsys, config, "alerts", "show", str(alert["id"]), "--json").json()
    assert shown["runbook"]["text"] == "fires when the EU batch is late"
    listed = run(capsys, config, "alerts", "list", "--status", "all", "--json").json()
    same = [
        a
        for a in listed
        if (a["model"], a["kind"], a["feature"])
        == (alert["model"], alert["kind"], alert["feature"])
    ]
    assert all(a["runbook"] == "fires when the EU batch is late" for a in same)
    run(capsys, config, "alerts", "runbook", "checkout_risk/weather", "--text", "x", code=2)


def test_the_handoff_of_a_demo_past_shift(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_scenario("demo")
    shifts = cli(capsys, "--config", demo_dir / "oncall.yaml", "shift", "list", "--json").json()
    primaries = sorted((s for s in shifts if s["role"] == "primary"), key=lambda s: s["started_at"])
    held = 0
    for shift_spec, shift in zip(spec.shifts, primaries, strict=True):
        result = cli(
            capsys,
            "--config",
            demo_dir / "oncall.yaml",
            "--now",
            DEMO_NOW,
            "handoff",
            "--shift",
            str(shift["id"]),
        )
        assert result.code == 0, result.err
        report = result.out
        assert f"— {shift_spec.primary} (primary)" in report
        for decision in shift_spec.decisions:
            if decision.action == "bug":
                assert f"“{decision.bug_title}”" in report, decision.bug_title
            assert decision.note in report, decision.note
        sections = [line for line in report.splitlines() if line.startswith("## ")]
        expected = [
            "## SLO status",
            "## What fired",
            "## What was done",
            "## Open items handed over",
            "## Noise this shift",
            "## Bugs",
        ]
        names = [s.split(" (")[0] for s in sections]
        if "## Held in the digest" in names:
            # The demo's surfacing policy held some of the shift's noisy types back.
            held += 1
            expected.insert(5, "## Held in the digest")
        assert names == expected
    assert held, "the demo's digest shows in the handoff of some past shift"
    assert json.dumps(shifts)  # listable as JSON


def test_a_bug_and_its_links_are_filed_together_or_not_at_all(config: Path) -> None:
    settings = load_config(config)
    store = Store(settings.store_path)
    now = datetime.fromisoformat(NOW)
    since, until = datetime(2026, 11, 24), datetime(2026, 11, 25)

    def count() -> int:
        with store.read() as con:
            return int(con.execute("SELECT count(*) FROM bugs").fetchone()[0])  # type: ignore[index]

    before = count()
    for bad, error in (
        (
            NewBug("t", "checkout_risk", where=("no_such_column=1",), since=since, until=until),
            UsageError,
        ),
        (NewBug("t", "checkout_risk", where=("market=FR",)), UsageError),  # no window
        (NewBug("t", "checkout_risk", predictions=("p1",), alerts=(4242,)), NotFoundError),
    ):
        with pytest.raises(error):
            file_bug(store, settings, bad, "alice", now)
        assert count() == before
    bid = file_bug(
        store,
        settings,
        NewBug(
            "t",
            "checkout_risk",
            predictions=("p1", "p2"),
            where=("market=FR",),
            since=since,
            until=until,
        ),
        "alice",
        now,
    )
    links = {(k.kind, k.target) for k in show_bug(store, bid).links}
    assert links == {("prediction", "p1"), ("prediction", "p2"), ("slice", '{"market": "FR"}')}


def test_bug_and_shift_changes_can_answer_in_json(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    started = run(capsys, config, "shift", "start", "--json").json()
    assert started["engineer"] == "alice" and started["role"] == "primary"
    assert started["ended_at"] is None
    bid = str(
        run(capsys, config, "bugs", "new", "-m", "checkout_risk", "--title", "t", "--json").json()[
            "id"
        ]
    )
    edited = run(capsys, config, "bugs", "edit", bid, "--status", "triaged", "--json").json()
    assert edited["status"] == "triaged" and edited["version"] == 2
    commented = run(capsys, config, "bugs", "comment", bid, "--text", "seen in FR", "--json").json()
    assert commented["events"][-1]["action"] == "comment"
    linked = run(capsys, config, "bugs", "link", bid, "--prediction", "nope", "--json").json()
    assert [(k["kind"], k["target"]) for k in linked["links"]] == [("prediction", "nope")]
    out = tmp_path / "delta.csv"
    unmatched = run(capsys, config, "bugs", "export", bid, "--out", str(out), code=2)
    assert "1 prediction/slice link(s) match no stored prediction" in unmatched.err
    assert not out.exists()
    rows = run(capsys, config, "examples", "--model", "checkout_risk", "--json").json()
    pid = str(rows["rows"][0]["prediction_id"])
    run(capsys, config, "bugs", "link", bid, "--prediction", pid)
    exported = run(capsys, config, "bugs", "export", bid, "--out", str(out), "--json").json()
    assert exported == {"bug": int(bid), "rows": 1, "out": str(out)}
    closed = run(capsys, config, "bugs", "close", bid, "--resolution", "fixed", "--json").json()
    assert closed["status"] == "resolved"
    ended = run(capsys, config, "shift", "end", "--json", now="2026-11-26T12:00").json()
    assert ended["id"] == started["id"] and ended["ended_at"] is not None


def _file(capsys: pytest.CaptureFixture[str], config: Path, title: str = "t") -> int:
    filed = run(capsys, config, "bugs", "new", "-m", "checkout_risk", "--title", title, "--json")
    return int(filed.json()["id"])


def test_bugs_are_records_and_both_faces_get_the_same_json(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = _file(capsys, config)
    run(capsys, config, "bugs", "link", str(bid), "--prediction", "p1")
    run(capsys, config, "bugs", "comment", str(bid), "--text", "seen")
    store = Store(load_config(config).store_path)
    (bug,) = list_bugs(store, "all")
    assert isinstance(bug, Bug) and bug.id == bid and bug.open and bug.tags == ()
    shown = show_bug(store, bid)
    assert isinstance(shown, BugDetail) and shown.bug == bug
    assert [e.action for e in shown.events] == ["created", "link", "comment"]
    assert [(k.kind, k.target, k.slice) for k in shown.links] == [("prediction", "p1", None)]
    # One to_json each: what the command line prints is the record's JSON, key for key.
    listed = run(capsys, config, "bugs", "list", "--status", "all", "--json").json()
    as_emitted = json.loads(json.dumps(bug.to_json(), default=lambda v: v.isoformat()))
    assert listed == [as_emitted]
    assert list(listed[0]) == [
        "id",
        "title",
        "description",
        "model",
        "priority",
        "tags",
        "status",
        "duplicate_of",
        "assignee",
        "reporter",
        "root_cause",
        "mitigation",
        "mitigation_note",
        "created_at",
        "updated_at",
        "version",
        "open",
    ]
    detail = run(capsys, config, "bugs", "show", str(bid), "--json").json()
    assert list(detail) == [*listed[0], "links", "events"]
    assert detail["events"][1]["detail"] == {
        "kind": "prediction",
        "target": "p1",
        "window_start": None,
        "window_end": None,
    }
    assert list(detail["events"][0]) == list(shown.events[0].to_json())
    assert list(detail["links"][0]) == list(shown.links[0].to_json())


def test_a_shift_row_is_a_record_with_the_json_scripts_read(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, config, "shift", "start", now="2026-11-25T08:00")
    store = Store(load_config(config).store_path)
    with store.read() as con:
        rows = fetch_rows(con, "shifts_all")
    records = [shifts.Shift.from_row(r) for r in rows]
    assert [s.to_json() for s in records] == [{"id": r["shift_id"], **r} for r in rows]
    live = next(s for s in records if s.source == "live")
    assert live.open and live.engineer == "alice" and live.role == "primary"
    listed = run(capsys, config, "shift", "list", "--json").json()
    assert [s["id"] for s in listed] == [s.id for s in records]
    status = run(capsys, config, "shift", "status", "--json").json()
    assert [(s["id"], s["shift_id"], s["engineer"]) for s in status] == [
        (live.id, live.id, "alice")
    ]


def test_core_errors_speak_the_domain_and_the_cli_adds_its_flags(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_config(config)
    store = Store(settings.store_path)
    now = datetime.fromisoformat(NOW)
    bid = _file(capsys, config)
    refusals: list[tuple[Any, str | None]] = [
        (lambda: list_bugs(store, "bogus"), "status"),
        (lambda: close(store, settings, bid, "alice", now, "nope"), "resolution"),
        (lambda: close(store, settings, bid, "alice", now, "duplicate"), "duplicate of"),
        (lambda: link(store, settings, bid, "alice", now), None),
        (lambda: link(store, settings, bid, "alice", now, where=["market=FR"]), None),
        (lambda: shifts.start_shift(store, settings, "alice", now, "boss"), "role"),
        (lambda: shifts.start_shift(store, settings, "bob", now), "role"),  # a trainee
        (lambda: show_bug(store, 4242), None),
        (lambda: shifts.shift_of(store, 4242, now), None),
        (lambda: shifts.shift_of(store, None, datetime(2000, 1, 1)), None),
    ]
    for call, field in refusals:
        with pytest.raises((UsageError, NotFoundError)) as caught:
            call()
        assert caught.value.field == field, caught.value.message
        assert "--" not in caught.value.message and "oncall " not in caught.value.message
    with pytest.raises(NoSuchBug):
        show_bug(store, 4242)
    with pytest.raises(shifts.NoSuchShift):
        shifts.shift_of(store, 4242, now)
    # The command line names its own options and commands.
    for args, said in (
        (("bugs", "list", "--status", "bogus"), "(--status)"),
        (("bugs", "close", str(bid), "--resolution", "nope"), "(--resolution)"),
        (("bugs", "close", str(bid), "--resolution", "duplicate"), "(--duplicate-of)"),
        (("bugs", "new", "-m", "checkout_risk", "--title", "t", "--priority", "P9"), "--priority"),
        (("bugs", "edit", str(bid), "--root-cause", "gremlins"), "(--root-cause)"),
        (("bugs", "link", str(bid)), "--alert, --prediction, --where or --bug"),
        (("bugs", "link", str(bid), "--where", "market=FR"), "--since and --until"),
        (("bugs", "show", "4242"), "`oncall bugs list --status all` lists them"),
        (("bugs", "export", str(bid), "--out", "x.csv"), f"`oncall bugs link {bid}"),
        (("shift", "start", "--role", "boss"), "(--role)"),
        (("handoff", "--shift", "4242"), "`oncall shift list` lists them"),
    ):
        refused = run(capsys, config, *args, code=2)
        assert said in refused.err, (args, refused.err)
    trainee = run(capsys, config, "shift", "start", who="bob", code=2)
    assert "trainee" in trainee.err and "(--role)" in trainee.err


async def test_the_queue_rebuilds_its_rows_only_when_the_bugs_changed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _file(capsys, config, "first")
    app = OncallApp.open(load_config(config), "alice", NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("2")
        queue = app.query_one(BugQueue)
        for _ in range(60):
            await pilot.pause()
            if queue.bugs:
                break
        table = queue.query_one("#bug-table", DataTable)
        cleared: list[int] = []
        clear = table.clear

        def counting_clear(columns: bool = False) -> Any:
            cleared.append(1)
            return clear(columns)

        table.clear = counting_clear  # type: ignore[method-assign]
        before = queue.bugs
        queue.post_message(BugsLoaded(list(before)))
        queue.load()  # a refresh that finds the same bugs
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        assert cleared == [] and queue.bugs == before and table.row_count == len(before)
        # Filed as the app would (the CLI's stdout is the app's while it runs).
        settings = load_config(config)
        file_bug(
            Store(settings.store_path),
            settings,
            NewBug("second", "checkout_risk"),
            "alice",
            datetime.fromisoformat(NOW),
        )
        queue.load()
        for _ in range(60):
            await pilot.pause()
            if len(queue.bugs) > len(before):
                break
        assert cleared == [1] and table.row_count == len(before) + 1
