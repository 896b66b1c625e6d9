"""Notifications end to end against a loopback receiver that fails on purpose.

A small world (one model whose `spend` breaks its bounds for three hours, then comes
back) opens two critical alerts and resolves them; three routes hear of them:
PagerDuty (severity critical), Slack (model churn, its URL a secret from the
environment) and an Alertmanager webhook (slice segment=a). The receiver records
every request and answers 500, times out, answers 429 with Retry-After: each event
must still arrive exactly once per route, in each receiver's own shape.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from tests.helpers import cli
from tests.receiver import Receiver, receiving
from tui.core.alerts.changes import ack, expire_silence, silence
from tui.core.alerts.episodes import SYSTEM, add_event
from tui.core.checks.results import slice_of
from tui.core.config.settings import Settings, load_config
from tui.core.config.times import Clock
from tui.core.ingest.load import ingest_file
from tui.core.monitor.run import CheckRun, run_checks
from tui.core.notify import sender
from tui.core.notify.deliver import flush
from tui.core.notify.held import held_back
from tui.core.notify.outbox import queue_alert_changes
from tui.core.store.connection import Store
from tui.core.words import slice_text

SECRET = "pd-key-7f3c9e1b-never-shown"
SLACK_PATH = "/services/T000/B000/slack-secret-path-91ab"
BASE = datetime(2026, 11, 20)
PD_KEYS = {"routing_key", "event_action", "dedup_key", "payload", "client", "client_url"}

CONFIG = """\
store: store.duckdb
models:
  churn:
    task: binary
    positive: "yes"
    threshold: 0.5
    slices: [segment]
    features:
      spend: {{type: numeric, min: 0, max: 1000}}
alerting:
  resolve_after: 1
  notify:
    - name: pager
      kind: pagerduty
      url: {url}/pd
      routing_key_env: PD_ROUTING_KEY
      match: {{severity: critical}}
      timeout: 1s
    - name: chat
      kind: slack
      url_env: SLACK_URL
      match: {{model: churn}}
      timeout: 1s
    - name: ops
      kind: webhook
      url: {url}/hook
      match: {{slice: {{segment: a}}}}
      timeout: 1s
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: {repeat_interval}
team:
  - {{name: alice, role: veteran}}
trust_as: true
"""


def frame(h0: int, h1: int, bad: bool) -> pl.DataFrame:
    """A prediction a minute over hours [h0, h1) of BASE; `bad`: segment a's spend is
    out of bounds (5000 > 1000)."""
    n = (h1 - h0) * 60
    return pl.DataFrame(
        {
            "prediction_id": [f"p{h0}_{i}" for i in range(n)],
            "ts": [BASE + timedelta(hours=h0, minutes=i) for i in range(n)],
            "prediction": ["yes" if i % 3 == 0 else "no" for i in range(n)],
            "score": [(i * 37 % 100) / 100 for i in range(n)],
            "segment": [["a", "b"][i % 2] for i in range(n)],
            "spend": [5000.0 if bad and i % 2 == 0 else 10.0 for i in range(n)],
        }
    )


@dataclass
class World:
    root: Path
    receiver: Receiver

    def write(
        self, group_wait: str = "1s", group_interval: str = "1s", repeat_interval: str = "4h"
    ) -> None:
        (self.root / "oncall.yaml").write_text(
            CONFIG.format(
                url=self.receiver.url,
                group_wait=group_wait,
                group_interval=group_interval,
                repeat_interval=repeat_interval,
            ),
            encoding="utf-8",
        )

    @property
    def settings(self) -> Settings:
        return load_config(self.root / "oncall.yaml")

    @property
    def store(self) -> Store:
        return Store(self.settings.store_path, timeout=20)

    def ingest(self, h0: int, h1: int, bad: bool) -> None:
        path = self.root / f"p{h0}.csv"
        frame(h0, h1, bad).write_csv(path)
        ingest_file(
            self.store,
            self.settings,
            "predictions",
            "churn",
            path,
            actor="alice",
            now=BASE + timedelta(hours=h1),
        )

    def check(self, hour: int, wall: datetime | None = None) -> CheckRun:
        return run_checks(self.store, self.settings, BASE + timedelta(hours=hour), wall=wall)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.settings.store_path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def fingerprints(self) -> dict[str, str]:
        """slice text ('' for the whole model, 'segment=a') -> fingerprint of its alert."""
        return {
            slice_text(slice_of(s)): str(fp)
            for s, fp in self.rows("SELECT slice, fingerprint FROM alerts ORDER BY alert_id")
        }


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with receiving() as rx:
        monkeypatch.setenv("PD_ROUTING_KEY", SECRET)
        monkeypatch.setenv("SLACK_URL", rx.url + SLACK_PATH)
        monkeypatch.setenv("ONCALL_USER", "alice")
        monkeypatch.chdir(tmp_path)
        w = World(tmp_path, rx)
        w.write()
        yield w


def assert_pagerduty_v2(event: dict[str, Any]) -> None:
    """The shape of PagerDuty's Events API v2 (send an alert event)."""
    assert set(event) <= PD_KEYS, set(event) - PD_KEYS
    assert event["routing_key"] == SECRET
    assert event["event_action"] in ("trigger", "acknowledge", "resolve")
    assert isinstance(event["dedup_key"], str) and 0 < len(event["dedup_key"]) <= 255
    if event["event_action"] == "trigger":
        payload = event["payload"]
        assert 0 < len(payload["summary"]) <= 1024
        assert payload["source"]
        assert payload["severity"] in ("critical", "error", "warning", "info")
        datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
    else:
        assert "payload" not in event


def assert_block_kit(message: dict[str, Any]) -> None:
    """Slack's rules for an incoming-webhook message of blocks."""
    assert set(message) <= {"text", "blocks"}
    assert isinstance(message["text"], str) and message["text"]
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert set(block) == {"type", "text"}
            assert block["text"]["type"] == "plain_text"
            assert 1 <= len(block["text"]["text"]) <= 150
        elif kind == "section":
            assert set(block) <= {"type", "text", "fields", "block_id"}
            assert block["text"]["type"] in ("mrkdwn", "plain_text")
            assert 1 <= len(block["text"]["text"]) <= 3000
        elif kind == "context":
            assert set(block) == {"type", "elements"}
            assert 1 <= len(block["elements"]) <= 10
            for element in block["elements"]:
                assert element["type"] in ("mrkdwn", "plain_text")
                assert 1 <= len(element["text"]) <= 3000
        else:
            assert kind == "divider" and set(block) == {"type"}


def assert_alertmanager_webhook(message: dict[str, Any], route: str) -> None:
    """Alertmanager's webhook payload, version 4."""
    assert message["version"] == "4"
    assert message["receiver"] == route
    assert message["status"] in ("firing", "resolved")
    for key in ("groupKey", "groupLabels", "commonLabels", "commonAnnotations", "externalURL"):
        assert key in message
    assert message["truncatedAlerts"] == 0
    for alert in message["alerts"]:
        assert set(alert) == {
            "status",
            "labels",
            "annotations",
            "startsAt",
            "endsAt",
            "generatorURL",
            "fingerprint",
        }
        assert alert["status"] in ("firing", "resolved")
        datetime.fromisoformat(alert["startsAt"].replace("Z", "+00:00"))
        if alert["status"] == "firing":
            # Open-ended, or (a test message) ending by itself later.
            assert alert["endsAt"] == "0001-01-01T00:00:00Z" or alert["endsAt"] > alert["startsAt"]
        else:
            assert alert["endsAt"] > alert["startsAt"]


def deliveries(rx: Receiver) -> Counter[tuple[str, ...]]:
    """What the receiver took, one key per event: PagerDuty (dedup key, action), the
    webhook (status, fingerprints), Slack (its header)."""
    out: Counter[tuple[str, ...]] = Counter()
    for r in rx.requests:
        if r.answer not in ("202", "hold"):
            continue
        if r.path == "/pd":
            out[("pd", r.body["dedup_key"], r.body["event_action"])] += 1
        elif r.path == "/hook":
            fps = ",".join(sorted(a["fingerprint"] for a in r.body["alerts"]))
            out[("hook", r.body["status"], fps)] += 1
        else:
            out[("slack", r.body["blocks"][0]["text"]["text"])] += 1
    return out


def _flush(world: World, hour: int, seconds: float = 30) -> Any:
    return flush(
        world.store,
        world.settings,
        Clock.at(BASE + timedelta(hours=hour)),
        wait=timedelta(seconds=seconds),
    )


def test_each_event_reaches_its_routes_exactly_once_through_failures(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "BACKOFF_FIRST", 0.05)
    rx = world.receiver
    rx.script[:] = ["500", "500", "timeout", "429", "500"]
    world.ingest(0, 3, bad=True)
    run = world.check(3)
    assert len(run.opened) == 2 and run.notifications == 5  # pager 2, chat 2, ops 1
    report = _flush(world, 3)
    assert (report.failed, report.pending) == (0, 0), report
    assert report.retried >= 4
    fps = world.fingerprints()
    seg_a = fps["segment=a"]
    firing = deliveries(rx)
    assert firing == Counter(
        {
            ("pd", fps[""], "trigger"): 1,
            ("pd", seg_a, "trigger"): 1,
            ("hook", "firing", seg_a): 1,
            ("slack", "churn: 2 firing"): 1,
        }
    )
    # Every failure was answered by a retry: 5 failed requests, 4 messages taken.
    assert len(rx.requests) == 4 + 5
    world.ingest(3, 6, bad=False)
    assert len(world.check(6).resolved) == 2
    report = _flush(world, 6)
    assert (report.failed, report.pending, report.sent) == (0, 0, 5)
    assert deliveries(rx) - firing == Counter(
        {
            ("pd", fps[""], "resolve"): 1,
            ("pd", seg_a, "resolve"): 1,
            ("hook", "resolved", seg_a): 1,
            ("slack", "churn: 2 resolved"): 1,
        }
    )
    for body in rx.accepted("/pd"):
        assert_pagerduty_v2(body)
    for body in rx.accepted("/hook"):
        assert_alertmanager_webhook(body, "ops")
    slack = rx.accepted(SLACK_PATH)
    for body in slack:
        assert_block_kit(body)
    # The message says what, how bad, since when, the type's record and the command.
    text = " ".join(b["text"]["text"] for b in slack[0]["blocks"] if b["type"] == "section")
    alert_id = world.rows("SELECT min(alert_id) FROM alerts")[0][0]
    for part in (
        "churn bounds spend",
        "segment=a",
        "value 1 vs threshold 0.001",
        "since 2026-11-20 01:00 UTC",
        "acted on 0 of the last",
        f"`oncall alerts show {alert_id}`",
    ):
        assert part in text, (part, text)
    # A second flush finds nothing more to send.
    assert _flush(world, 6, seconds=0).sent == 0
    assert len([r for r in rx.requests if r.answer == "202"]) == 8


def test_silenced_alerts_are_not_sent_and_say_so_until_the_silence_ends(world: World) -> None:
    now = BASE + timedelta(hours=3)
    settings = world.settings
    silence_id = silence(
        world.store, settings, {"model": "churn"}, "alice", BASE, timedelta(hours=4)
    )
    world.ingest(0, 3, bad=True)
    world.check(3)
    report = _flush(world, 3, seconds=2)
    assert report.sent == 0 and not world.receiver.requests
    held = world.rows("SELECT state, reason FROM notifications")
    assert held and all(s == "held" for s, _ in held)
    assert all(r == f"silenced by silence {silence_id}" for _, r in held)
    events = world.rows("SELECT detail FROM alert_events WHERE action = 'notify_held'")
    assert len(events) == 2 and f"silence {silence_id}" in events[0][0]
    # The silence ends while the alerts still fire: they are sent then, once.
    expire_silence(world.store, settings, silence_id, "alice", now)
    report = _flush(world, 3)
    assert report.sent == 5
    assert sum(1 for k in deliveries(world.receiver) if k[0] == "pd") == 2
    released = world.rows("SELECT count(*) FROM alert_events WHERE action = 'notify_released'")
    assert released[0][0] == 5


def test_an_alert_resolved_while_silenced_is_never_sent(world: World) -> None:
    silence(world.store, world.settings, {"severity": "critical"}, "alice", BASE, timedelta(days=1))
    world.ingest(0, 3, bad=True)
    world.check(3)
    world.ingest(3, 6, bad=False)
    world.check(6)
    _flush(world, 6, seconds=2)
    assert not world.receiver.requests
    states = world.rows("SELECT DISTINCT state FROM notifications")
    assert states == [("skipped",)]


class FakeClock:
    """A wall clock the test moves; sleeping moves it too."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def test_group_wait_group_interval_and_repeat_interval_on_a_fake_clock(world: World) -> None:
    world.write(group_wait="30s", group_interval="5m", repeat_interval="4h")
    settings = world.settings
    data = Clock.at(BASE + timedelta(hours=3))
    t0 = datetime(2026, 12, 1, 12)
    world.ingest(0, 3, bad=True)
    world.check(3, wall=t0)
    clock = FakeClock(t0 + timedelta(seconds=29))

    def send() -> Any:
        return flush(world.store, settings, data, clock)

    # A new group waits group_wait from its first alert, then goes as one message.
    report = send()
    assert report.sent == 0 and report.next_due == t0 + timedelta(seconds=30)
    clock.t = t0 + timedelta(seconds=30)
    assert send().sent == 5
    assert len(world.receiver.accepted(SLACK_PATH)) == 1
    assert len(world.receiver.accepted(SLACK_PATH)[0]["blocks"]) == 4  # header, 2, context
    first_sent = clock.t
    # A change to a group already told waits group_interval since its last message.
    acked_id, acked_fp = world.rows("SELECT alert_id, fingerprint FROM alerts WHERE slice IS NULL")[
        0
    ]
    with world.store.write() as con:
        ack(con, acked_id, "alice", BASE + timedelta(hours=3), "looking")
        queue_alert_changes(con, settings, BASE + timedelta(hours=3), t0 + timedelta(minutes=1))
    clock.t = t0 + timedelta(minutes=1)
    report = send()
    assert report.sent == 0 and report.next_due == first_sent + timedelta(minutes=5)
    clock.t = first_sent + timedelta(minutes=5)
    assert send().sent == 2  # pager's acknowledge, chat's message
    assert world.receiver.accepted("/pd")[-1] == {
        "routing_key": SECRET,
        "event_action": "acknowledge",
        "dedup_key": acked_fp,
    }
    # Still firing and not acknowledged: told again once its group has sent nothing for
    # repeat_interval, not before. ops last spoke at first_sent, the others at `last`.
    last = clock.t
    rx = world.receiver
    clock.t = first_sent + timedelta(hours=4) - timedelta(seconds=1)
    assert send().sent == 0
    clock.t = first_sent + timedelta(hours=4)
    before = len(rx.requests)
    assert send().sent == 1
    assert [r.path for r in rx.requests[before:]] == ["/hook"]
    clock.t = last + timedelta(hours=4) - timedelta(seconds=1)
    assert send().sent == 0
    clock.t = last + timedelta(hours=4)
    before = len(rx.requests)
    assert send().sent == 2
    repeats = rx.requests[before:]
    other_fp = next(fp for fp in world.fingerprints().values() if fp != acked_fp)
    pd = [r.body for r in repeats if r.path == "/pd"]
    assert [(b["event_action"], b["dedup_key"]) for b in pd] == [("trigger", other_fp)]
    assert sorted(r.path for r in repeats) == sorted(["/pd", SLACK_PATH])
    assert send().sent == 0


def test_the_sender_killed_mid_send_repeats_at_most_that_message(world: World) -> None:
    rx = world.receiver
    world.ingest(0, 3, bad=True)
    world.check(3)
    # The 1st request is taken, the 2nd (ops' webhook) is held open: the sender is
    # killed while it waits for the answer.
    rx.script[:] = ["202", "hold"]
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "ONCALL_NOW": (BASE + timedelta(hours=3)).isoformat(),
    }
    oncall = str(Path(sys.executable).parent / "oncall")
    args = [oncall, "notify", "flush", "--wait", "10s"]
    proc = subprocess.Popen(args, cwd=world.root, env=env)
    try:
        assert rx.arrived.wait(90), "the sender never reached the receiver"
        # It holds no store lock while it waits on the network: a write gets through.
        with Store(world.settings.store_path, timeout=5).write() as con:
            con.execute("SELECT 1").fetchall()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    rx.release()  # the receiver did take the message the dead sender sent
    # Chat's message was answered and recorded; ops' was in flight; pager's were claimed
    # in the same go but never sent: all three are left `sending` by the dead sender.
    states = dict(world.rows("SELECT state, count(*) FROM notifications GROUP BY state"))
    assert states == {"sent": 2, "sending": 3}
    done = subprocess.run(args, cwd=world.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = deliveries(rx)
    fps = world.fingerprints()
    seg_a = fps["segment=a"]
    assert got == Counter(
        {
            ("slack", "churn: 2 firing"): 1,
            ("hook", "firing", seg_a): 2,  # the message in flight, once more
            ("pd", fps[""], "trigger"): 1,
            ("pd", seg_a, "trigger"): 1,
        }
    )
    assert world.rows("SELECT DISTINCT state FROM notifications") == [("sent",)]


def test_a_receiver_refusing_a_message_fails_it_for_good_with_its_status(
    world: World,
) -> None:
    world.receiver.script[:] = ["400", "400", "400", "400"]
    world.ingest(0, 3, bad=True)
    world.check(3)
    report = _flush(world, 3)
    assert report.failed == 5 and report.retried == 0
    assert len(world.receiver.requests) == 4  # one try each: pd 2, slack 1, webhook 1
    failed = world.rows("SELECT DISTINCT state, status_code, reason FROM notifications")
    assert failed == [("failed", 400, 'HTTP 400: {"error":"on purpose"}')]


def _everything_stored(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(
            str(row)
            for t in tables
            # The names come from DuckDB's own catalog, not from anyone's input.
            for row in con.execute(f'SELECT * FROM "{t}"').fetchall()  # noqa: S608
        )
    finally:
        con.close()


def test_secrets_are_never_printed_logged_or_stored(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.receiver.script[:] = ["500", "400"]
    world.ingest(0, 3, bad=True)
    world.check(3)
    outputs = []
    for args in (
        ("notify", "flush", "--wait", "20s"),
        ("notify", "status", "--json"),
        ("notify", "status"),
        ("notify", "test", "pager"),
        ("notify", "test", "chat", "--json"),
    ):
        result = cli(capsys, "--now", "2026-11-20T03:00", *args)
        outputs += [result.out, result.err]
    assert "HTTP 400" in outputs[1] or "HTTP 400" in outputs[0]
    db = world.settings.store_path
    stored = _everything_stored(db)
    assert "HTTP 400" in stored
    files = [p for p in world.root.iterdir() if p.is_file() and p.suffix != ".csv"]
    assert files
    for secret in (SECRET, SLACK_PATH, "slack-secret-path"):
        assert secret not in stored
        for text in outputs:
            assert secret not in text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


def test_route_problems_are_config_errors_naming_the_route(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = world.root / "oncall.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("      timeout: 1s\n", "      channel: x\n", 1), "utf-8")
    result = cli(capsys, "notify", "status")
    assert result.code == 2
    assert "route 'pager': unknown key 'channel'" in result.err
    config.write_text(text, "utf-8")
    monkeypatch.delenv("PD_ROUTING_KEY")
    for args in (("notify", "flush"), ("watch", "--every", "1m"), ("notify", "test", "chat")):
        result = cli(capsys, *args)
        assert result.code == 2, args
        assert "route 'pager'" in result.err and "$PD_ROUTING_KEY" in result.err
        assert "Traceback" not in result.err
    config.write_text(text.replace("      routing_key_env: PD_ROUTING_KEY\n", ""), "utf-8")
    result = cli(capsys, "notify", "status")
    assert result.code == 2 and "route 'pager'" in result.err and "routing_key_env" in result.err
    for wrong, said in (
        ("kind: slack", "alerting.notify.1.kind: route 'chat': "),
        ("match: {model: churn}", "alerting.notify.1.match: route 'chat': match key 'team'"),
    ):
        right = {"kind: slack": "kind: email", "match: {model: churn}": "match: {team: x}"}[wrong]
        config.write_text(text.replace(wrong, right), "utf-8")
        result = cli(capsys, "notify", "status")
        assert result.code == 2 and said in result.err, result.err


def test_notify_status_test_and_handoff_from_the_command_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    rx = world.receiver
    result = cli(capsys, "notify", "test", "chat")
    assert result.code == 0 and "delivered" in result.err
    assert_block_kit(rx.accepted(SLACK_PATH)[0])
    result = cli(capsys, "notify", "test", "ops", "--json")
    assert result.code == 0 and result.json()["delivered"] is True
    assert_alertmanager_webhook(rx.accepted("/hook")[0], "ops")
    rx.script[:] = ["404"]
    result = cli(capsys, "notify", "test", "pager")
    assert result.code == 1 and "HTTP 404" in result.err
    result = cli(capsys, "notify", "status", "--json")
    assert result.code == 0
    status = result.json()
    assert status["counts"] == {"chat": {"sent": 1}, "ops": {"sent": 1}, "pager": {"failed": 1}}
    assert [n["state"] for n in status["notifications"]] == ["failed", "sent", "sent"]
    result = cli(capsys, "notify", "status", "--format", "tsv", "--state", "failed")
    lines = result.out.splitlines()
    assert lines[0].split("\t")[:5] == ["id", "route", "event", "alert", "state"]
    assert len(lines) == 2 and "\tfailed\t" in lines[1]
    assert cli(capsys, "notify", "test", "nowhere").code == 2
    # The shift's report goes to a channel; a pager takes alerts, not reports.
    assert cli(capsys, "shift", "start").code == 0
    result = cli(capsys, "handoff", "--send", "chat")
    assert result.code == 0, result.err
    assert "posted the handoff report" in result.err
    report = rx.accepted(SLACK_PATH)[-1]
    assert_block_kit(report)
    assert report["blocks"][0]["text"]["text"] == "oncall: shift handoff"
    assert cli(capsys, "handoff", "--send", "pager").code == 2


def test_no_routes_and_an_old_history_page_nobody(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routes declared after alerts fired do not page the past (the cursor starts at
    the newest event)."""
    with receiving() as rx:
        w = World(tmp_path, rx)
        text = CONFIG.format(url=rx.url, group_wait="1s", group_interval="1s", repeat_interval="4h")
        (tmp_path / "oncall.yaml").write_text(text.split("  notify:")[0] + "team: []\n")
        w.ingest(0, 3, bad=True)
        assert len(w.check(3).opened) == 2
        w.write()
        monkeypatch.setenv("PD_ROUTING_KEY", SECRET)
        monkeypatch.setenv("SLACK_URL", rx.url + SLACK_PATH)
        assert _flush(w, 3, seconds=0).sent == 0
        assert not rx.requests


def test_escalation_reaches_a_critical_route_first_and_a_retraction_resolves_it(
    world: World,
) -> None:
    """An alert that opens as a warning reaches `severity: critical` routes only when it
    escalates (as a trigger there, an escalation elsewhere); a retraction resolves it."""
    now = BASE + timedelta(hours=3)
    settings = world.settings
    world.ingest(0, 3, bad=True)
    world.check(3)
    # The same alerts, had they opened as warnings: their notifications queued again.
    with world.store.write() as con:
        con.execute("UPDATE alerts SET severity = 'warning'")
        con.execute("DELETE FROM notifications")
        con.execute("UPDATE notify_cursor SET last_event_id = 0")
        queue_alert_changes(con, settings, now, datetime(2026, 12, 1))
    assert world.rows("SELECT DISTINCT route FROM notifications ORDER BY 1") == [
        ("chat",),
        ("ops",),
    ]
    assert _flush(world, 3).sent == 3
    alert_id, fp = world.rows("SELECT alert_id, fingerprint FROM alerts WHERE slice IS NULL")[0]
    with world.store.write() as con:
        con.execute(
            "UPDATE alerts SET severity = 'critical' WHERE alert_id = $id", {"id": alert_id}
        )
        add_event(con, alert_id, now, SYSTEM, "escalated", severity="critical")
        queue_alert_changes(con, settings, now, datetime(2026, 12, 1))
    assert world.rows(
        "SELECT route, event FROM notifications WHERE state = 'pending' ORDER BY route"
    ) == [("chat", "escalate"), ("pager", "trigger")]
    assert _flush(world, 3).sent == 2
    pd = world.receiver.accepted("/pd")
    assert [(b["event_action"], b["dedup_key"], b["payload"]["severity"]) for b in pd] == [
        ("trigger", fp, "critical")
    ]
    slack = world.receiver.accepted(SLACK_PATH)[-1]
    assert "escalated to critical" in slack["blocks"][1]["text"]["text"]
    with world.store.write() as con:
        con.execute("UPDATE alerts SET state = 'retracted' WHERE alert_id = $id", {"id": alert_id})
        add_event(con, alert_id, now, SYSTEM, "retracted", reason="more labels")
        queue_alert_changes(con, settings, now, datetime(2026, 12, 1))
    assert _flush(world, 3).sent == 2
    assert world.receiver.accepted("/pd")[-1] == {
        "routing_key": SECRET,
        "event_action": "resolve",
        "dedup_key": fp,
    }
    assert "retracted" in world.receiver.accepted(SLACK_PATH)[-1]["blocks"][1]["text"]["text"]


def test_an_alert_held_in_the_digest_is_not_sent_and_says_why() -> None:
    """The surfacing policy's digest is one more reason to hold a notification back,
    asked in the same place as silences and snoozes; an alert out of it goes out."""
    now = BASE + timedelta(hours=5)
    alert = {"alert_id": 7, "state": "open", "snoozed_until": None}
    reason = held_back(alert, [], now, frozenset({7, 9}))
    assert reason is not None and "digest" in reason
    assert held_back(alert, [], now, frozenset({9})) is None
    assert held_back(alert, [], now) is None
    # A resolved alert is never held: its resolve is news whatever its type's record.
    assert held_back({**alert, "state": "resolved"}, [], now, frozenset({7})) is None
