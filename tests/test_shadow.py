"""Shadow mode: refusals, the quiz, scoring, readiness, drills, and a replay in the app."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_NOW
from tests.helpers import cli
from tui.app.main import OncallApp
from tui.app.panes import ShiftReplay
from tui.core.alerts.changes import mark
from tui.core.config.settings import load_config
from tui.core.shadow.replay import score, veteran_decisions
from tui.core.store.connection import Store
from tui.sandbox.drills import score_drill
from tui.sandbox.scenario import load_scenario


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store (sessions get written)."""
    shutil.copy(demo_dir / "oncall.yaml", tmp_path / "oncall.yaml")
    shutil.copy(demo_dir / "oncall.duckdb", tmp_path / "oncall.duckdb")
    return tmp_path / "oncall.yaml"


def run(
    capsys: pytest.CaptureFixture[str], config: Path, *args: str, who: str = "bob", code: int = 0
) -> Any:
    result = cli(capsys, "--config", config, "--now", DEMO_NOW, "--as", who, *args)
    assert result.code == code, result.err
    return result


def _primary_shifts(capsys: pytest.CaptureFixture[str], config: Path) -> list[dict[str, Any]]:
    shifts = run(capsys, config, "shift", "list", "--json").json()
    return sorted((s for s in shifts if s["role"] == "primary"), key=lambda s: s["started_at"])


TRUTH = {
    1: {"acted": True, "type": "m/drift/x"},
    2: {"acted": True, "type": "m/slo"},
    3: {"acted": False, "type": "m/drift/x"},
    4: {"acted": False, "type": "m/volume"},
}


def test_scores_by_hand() -> None:
    result = score({1: "act", 2: "watch", 3: "bug", 4: "ignore"}, TRUTH, {1: 10, 2: 30, 3: 20})
    assert result["agreement"] == 0.5  # 1 and 4 agree
    assert result["recall_actionable"] == 0.5  # acted on 1 of the 2 that needed it
    assert result["false_alarm_rate"] == 0.5  # acted on 1 of the 2 that did not
    assert result["median_decision_seconds"] == 20
    assert result["disagreements"] == {"m/drift/x": 1, "m/slo": 1}
    partial = score({1: "act"}, TRUTH)
    assert (partial["decisions"], partial["undecided"]) == (1, 3)
    assert partial["recall_actionable"] == 0.5 and partial["false_alarm_rate"] == 0.0
    perfect = score({1: "bug", 2: "act", 3: "watch", 4: "ignore"}, TRUTH)
    assert (perfect["agreement"], perfect["recall_actionable"], perfect["false_alarm_rate"]) == (
        1,
        1,
        0,
    )
    with pytest.raises(Exception, match="a call is one of"):
        score({1: "panic"}, TRUTH)


def test_replay_by_script(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shift = _primary_shifts(capsys, demo_copy)[1]
    quiz = run(capsys, demo_copy, "shadow", "replay", "--shift", str(shift["id"]), "--json").json()
    assert quiz["alerts"]
    text = json.dumps(quiz)
    for secret in ("veteran", "noise", "bug", "acked", "marked", "root_cause", "note"):
        assert secret not in text, secret
    ids = [a["id"] for a in quiz["alerts"]]
    assert [a["first_seen"] for a in quiz["alerts"]] == sorted(
        a["first_seen"] for a in quiz["alerts"]
    )
    for call, expected in (("act", 1.0), ("ignore", 0.0)):
        answers = tmp_path / f"{call}.jsonl"
        answers.write_text("".join(json.dumps({"alert_id": i, "call": call}) + "\n" for i in ids))
        result = run(
            capsys,
            demo_copy,
            "shadow",
            "replay",
            "--shift",
            str(shift["id"]),
            "--answers",
            str(answers),
            "--json",
        ).json()
        assert result["recall_actionable"] == expected
        assert {
            "agreement",
            "recall_actionable",
            "false_alarm_rate",
            "decisions",
            "undecided",
            "disagreements",
        } <= set(result)
    progress = run(capsys, demo_copy, "shadow", "score", "--json").json()
    assert len(progress["sessions"]) == 2 and progress["ready"] is False
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"alert_id": 1}\n')
    run(
        capsys,
        demo_copy,
        "shadow",
        "replay",
        "--shift",
        str(shift["id"]),
        "--answers",
        str(bad),
        code=2,
    )


def test_ready_after_two_good_replays(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = load_config(demo_copy)
    from tui.core.shadow.replay import veteran_decisions

    replayed = 0
    for shift in _primary_shifts(capsys, demo_copy):
        if replayed == 2:
            break
        truth = veteran_decisions(
            Store(settings.store_path), settings, shift["id"], datetime.fromisoformat(DEMO_NOW)
        )
        if not any(t["acted"] for t in truth.values()):
            continue  # a quiet shift of the record: nothing actionable to recall
        replayed += 1
        answers = tmp_path / f"perfect-{shift['id']}.jsonl"
        answers.write_text(
            "".join(
                json.dumps({"alert_id": i, "call": "act" if t["acted"] else "watch"}) + "\n"
                for i, t in truth.items()
            )
        )
        run(
            capsys,
            demo_copy,
            "shadow",
            "replay",
            "--shift",
            str(shift["id"]),
            "--answers",
            str(answers),
        )
    assert replayed == 2
    assert run(capsys, demo_copy, "shadow", "score", "--json").json()["ready"] is True


def test_a_shadow_shift_cannot_change_state(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before a live shift: said in the domain's words, no command named.
    none = run(capsys, demo_copy, "shadow", "follow", who="carol", code=2)
    assert "no live primary shift" in none.err and "oncall" not in none.err
    run(capsys, demo_copy, "shift", "start", who="alice")
    run(capsys, demo_copy, "shift", "start", "--role", "shadow", who="carol")
    alerts = run(capsys, demo_copy, "alerts", "list", "--status", "all", "--json").json()
    aid = str(alerts[0]["id"])
    for args in (
        ("alerts", "ack", aid),
        ("alerts", "snooze", aid),
        ("alerts", "resolve", aid),
        ("alerts", "silence", "--match", "kind=drift"),
        ("bugs", "new", "--title", "x", "--model", "fraud"),
    ):
        refused = run(capsys, demo_copy, *args, who="carol", code=3)
        assert "shadowing" in refused.err
    follow = run(capsys, demo_copy, "shadow", "follow", "--json", who="carol").json()
    assert follow["primary"] == "alice"
    # A bad call: the core names the setting, the command line adds its flag.
    bad = run(capsys, demo_copy, "shadow", "call", aid, "--call", "maybe", who="carol", code=2)
    assert "a call is one of act, watch, ignore, bug, got 'maybe' (--call)" in bad.err


def test_drills_score_and_show_the_answer_after_a_miss() -> None:
    names = ["drill-checkout", "drill-ads", "drill-support"]
    kinds = [{i.type for i in load_scenario(n).incidents} for n in names]
    assert len({frozenset(k) for k in kinds}) == 3  # each drill plants different incidents
    for name in names:
        spec = load_scenario(name)
        perfect = [
            {
                "model": i.model,
                "root_cause": i.root_cause,
                **({"feature": i.feature} if i.feature else {}),
                **({"slice": i.slice} if i.slice and not i.feature else {}),
            }
            for i in spec.incidents
        ]
        result = score_drill(spec, perfect)
        assert result["score"] == 1.0, name
        wrong = [dict(perfect[0], root_cause="data_leakage"), *perfect[1:]]
        missed = score_drill(spec, wrong)
        assert missed["found"] == len(spec.incidents) - 1
        first = spec.incidents[0]
        where = first.feature or ",".join(f"{k}={v}" for k, v in (first.slice or {}).items())
        assert missed["results"][0]["answer"] == (
            f"{first.model}: {where or 'the model'}, root cause {first.root_cause}"
        )


def test_drill_builds_a_sandbox_without_the_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(
        capsys, "--now", DEMO_NOW, "shadow", "drill", "drill-ads", "--dir", tmp_path / "d", "--json"
    )
    assert result.code == 0, result.err
    body = result.json()
    assert body["incidents"] == 4 and "ctr" in body["models"]
    import duckdb

    con = duckdb.connect(str(tmp_path / "d" / "oncall.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM scenario_incidents").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM alerts").fetchall()[0][0] > 0
    finally:
        con.close()


async def test_replay_a_past_shift_in_the_app(demo_copy: Path) -> None:
    app = OncallApp.open(load_config(demo_copy), "bob", DEMO_NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("5")
        replay = app.query_one(ShiftReplay)
        for _ in range(20):
            await pilot.pause()
            await app.workers.wait_for_complete()
            if replay.items:
                break
        assert replay.items, "the shift's alerts were loaded"
        total = len(replay.items)
        for step in range(total):
            assert not replay.revealed
            await pilot.press("a" if step % 2 == 0 else "i")
            await pilot.pause()
            assert replay.revealed
            assert "The veteran" in str(app.query_one("#replay-reveal").render())
            await pilot.press("n")
            await pilot.pause()
        for _ in range(20):
            await pilot.pause()
            await app.workers.wait_for_complete()
            if replay.result is not None:
                break
        assert replay.result is not None
        assert replay.result["decisions"] == total
    with Store(load_config(demo_copy).store_path).read() as con:
        sessions = con.execute("SELECT trainee, kind FROM shadow_sessions").fetchall()
        calls = con.execute("SELECT count(*) FROM shadow_calls").fetchall()[0][0]
    assert sessions == [("bob", "replay")] and calls == total


async def test_follow_a_live_shift_in_the_app(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = "2026-11-24T00:00"
    assert (
        cli(capsys, "--config", demo_copy, "--now", started, "--as", "alice", "shift", "start").code
        == 0
    )
    assert (
        cli(
            capsys,
            "--config",
            demo_copy,
            "--now",
            started,
            "--as",
            "bob",
            "shift",
            "start",
            "--role",
            "shadow",
        ).code
        == 0
    )
    app = OncallApp.open(load_config(demo_copy), "bob", DEMO_NOW, poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("5")
        await pilot.press("f")
        replay = app.query_one(ShiftReplay)
        for _ in range(20):
            await pilot.pause()
            await app.workers.wait_for_complete()
            if replay.following is not None:
                break
        assert replay.following is not None and replay.following["primary"] == "alice"
        first = replay.follow_next()
        assert first is not None and "primary" not in first  # hidden until the call
        await pilot.press("w")
        for _ in range(20):
            await pilot.pause()
            await app.workers.wait_for_complete()
            called = [a for a in replay.following["alerts"] if a["your_call"]]
            if called:
                break
        assert called[0]["id"] == first["id"] and called[0]["your_call"] == "watch"
        assert "primary" in called[0]
    with Store(load_config(demo_copy).store_path).read() as con:
        rows = con.execute(
            "SELECT s.kind, c.alert_id, c.call FROM shadow_calls c "
            "JOIN shadow_sessions s USING (session_id)"
        ).fetchall()
    assert rows == [("follow", first["id"], "watch")]


def test_a_replay_counts_only_what_its_primary_did_during_the_shift(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reviewer's later mark or bug, or the primary's own hindsight after the shift
    ended, is not the call the trainee is scored against."""
    settings = load_config(demo_copy)
    store = Store(settings.store_path)
    now = datetime.fromisoformat(DEMO_NOW)
    ended = [s for s in _primary_shifts(capsys, demo_copy) if s["ended_at"]]
    shift, before = max(
        ((s, veteran_decisions(store, settings, s["id"], now)) for s in ended),
        key=lambda sd: sum(not t["acted"] for t in sd[1].values()),
    )
    let_go = [i for i, t in before.items() if not t["acted"]]
    assert len(let_go) >= 2, "the demo's shift should have alerts its primary let go"
    other = "carol" if shift["engineer"] != "carol" else "alice"
    reviewer, hindsight = let_go[0], let_go[1]
    run(capsys, demo_copy, "alerts", "mark", str(reviewer), "--actionable", who=other)
    run(capsys, demo_copy, "alerts", "mark", str(hindsight), "--actionable", who=shift["engineer"])
    run(
        capsys,
        demo_copy,
        "alerts",
        "ack",
        str(hindsight),
        "--note",
        "it was real",
        who=shift["engineer"],
    )
    after = veteran_decisions(store, settings, shift["id"], now)
    assert {i: t["acted"] for i, t in after.items()} == {i: t["acted"] for i, t in before.items()}
    assert after[reviewer]["veteran"] == before[reviewer]["veteran"]
    assert after[hindsight]["veteran"] == before[hindsight]["veteran"]
    # The same marks inside the shift do count: the filter is the moment, not the mark.
    inside = datetime.fromisoformat(str(shift["ended_at"])) - timedelta(minutes=1)
    with store.write() as con:
        mark(con, reviewer, shift["engineer"], inside, actionable=True)
    assert veteran_decisions(store, settings, shift["id"], now)[reviewer]["acted"] is True
