"""`oncall serve` in a real browser: the alert stream in the page, read-only refused by
the role rule with nothing written, the token on page and socket, two browsers and a
cron `check` at once without a lost action or a raw lock error."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import duckdb
import pytest

from tests.browser import Page, Served, browsers, require_chromium, serving, wait_for
from tests.helpers import oncall_subprocess

NOW = "2026-11-26T04:00"
# What a lock error looks like when it reaches a person unexplained.
RAW_ERRORS = ("Could not set lock", "Conflicting lock", "IO Error", "IOException", "Traceback")

# Generous for a loaded machine; on a quiet one each test takes well under a minute.
pytestmark = pytest.mark.timeout(480)


def drill_copy(checked_drill: Path, folder: Path) -> Path:
    """The checked drill's config and a pristine copy of its store, in `folder`."""
    shutil.copy(checked_drill, folder / "oncall.yaml")
    shutil.copy(checked_drill.parent / "checked.duckdb", folder / "oncall.duckdb")
    return folder / "oncall.yaml"


@pytest.fixture(scope="module")
def watched(
    checked_drill: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Served]]:
    """The drill served read-only (no --as), shared by this module's read-only tests."""
    require_chromium()
    config = drill_copy(checked_drill, tmp_path_factory.mktemp("watched"))
    with serving("--config", config, "--now", NOW, "serve", "--read-only", cwd=config.parent) as s:
        yield config, s


def alerts(config: Path) -> list[dict[str, Any]]:
    """Every alert as the command line lists it now."""
    result = oncall_subprocess(
        "--config", config, "--now", NOW, "alerts", "list", "--status", "all", "--json"
    )
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def store_rows(config: Path) -> dict[str, int]:
    """How many rows the tables that record people's actions hold."""
    db = config.parent / "oncall.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = ("alert_events", "bug_events", "bugs", "silences", "applied_actions")
        return {t: int(con.execute(f"select count(*) from {t}").fetchall()[0][0]) for t in tables}  # noqa: S608
    finally:
        con.close()


def test_a_read_only_console_shows_the_stream_and_refuses_an_ack(
    watched: tuple[Path, Served],
) -> None:
    config, s = watched
    before_alerts, before_rows = alerts(config), store_rows(config)
    firing = [a for a in before_alerts if a["status"] == "firing"]
    assert firing, "the drill has firing alerts to show"
    with browsers() as open_browser:
        page = open_browser(s.url)
        # The stream renders: a row for every firing alert, its id first and its kind on
        # it, and the status line says the console is read-only.
        text = page.wait_text(" read-only ", "firing", *(a["kind"] for a in firing))
        rows = {ln.split()[0]: ln for ln in text.splitlines() if " firing " in ln}
        for alert in firing:
            assert alert["kind"] in rows[str(alert["id"])]
        # `a` would ack the selected alert: the role rule refuses it at the key, in the
        # page, before any dialog; `r` (resolve, no dialog) too.
        page.focus()
        page.press("a")
        page.wait_text("opened read-only")
        page.press("r")
        page.wait_screen(lambda text: text.count("opened read-only") >= 2, "a second refusal")
        assert "Acknowledge" not in page.screen.text()  # no dialog opened
    assert store_rows(config) == before_rows
    assert alerts(config) == before_alerts


def test_the_page_and_the_socket_need_the_token(watched: tuple[Path, Served]) -> None:
    _config, s = watched
    before = set(s.app_processes())  # a browser of another test may still be leaving
    base = f"http://127.0.0.1:{s.port}"
    for path in ("/", "/?token=", "/?token=wrong" + s.token, "/ws", "/ws/wrong"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + path, timeout=10)
        assert refused.value.code == 403, path
    # A websocket handshake without the token, or with a near miss, is refused too, and
    # no app process is started for it.
    assert asyncio.run(_socket(f"ws://127.0.0.1:{s.port}/ws/{s.token[:-1]}~")) == 403
    assert asyncio.run(_socket(f"ws://127.0.0.1:{s.port}/ws")) == 403
    assert set(s.app_processes()) <= before
    with urllib.request.urlopen(s.url, timeout=10) as page:
        assert f"/ws/{s.token}" in page.read().decode()
    # With the token the socket opens and an app process starts behind it.
    assert asyncio.run(_socket(f"ws://127.0.0.1:{s.port}/ws/{s.token}", hold=s)) == 101


async def _socket(url: str, hold: Any = None) -> int:
    """The HTTP status a websocket handshake at `url` gets (101 when it opened); with
    `hold`, the socket stays open until the server has started an app process for it."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
                if hold is not None:
                    for _ in range(300):
                        if hold.app_processes():
                            break
                        await asyncio.sleep(0.1)
                    assert hold.app_processes(), "no app process started for the socket"
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def test_two_browsers_and_a_cron_check_lose_no_action(checked_drill: Path, tmp_path: Path) -> None:
    require_chromium()
    config = drill_copy(checked_drill, tmp_path)
    firing = [a for a in alerts(config) if a["status"] == "firing"]
    assert len(firing) >= 2
    db = config.parent / "oncall.duckdb"
    stop = threading.Event()
    checks: list[int] = []

    def cron() -> None:
        while not stop.is_set():
            result = oncall_subprocess("--config", config, "--now", NOW, "check", "--json")
            checks.append(result.code)

    cron_thread = threading.Thread(target=cron, daemon=True)
    with (
        serving("--config", config, "--now", NOW, "--as", "alice", "serve", cwd=config.parent) as s,
        browsers() as open_browser,
    ):
        one, two = open_browser(s.url), open_browser(s.url)
        for page in (one, two):
            page.wait_text("alice (veteran)", "firing")
            page.focus()
        cron_thread.start()
        try:
            # Browser one acks the alert under its cursor while another process holds
            # the store: the ack waits in the outbox, to be applied when it frees.
            holder = _hold(db)
            try:
                one.press("a")
                one.wait_text("Acknowledge")
                one.page.keyboard.type("from browser one")
                one.press("Enter")
                first = int(_said(one, r"acked #(\d+): the store is busy"))
            finally:
                holder.close()
            # Browser two acks the next alert down, the store free (or held a moment
            # by the cron check).
            two.press("ArrowDown", "a")
            two.wait_text("Acknowledge")
            two.page.keyboard.type("from browser two")
            two.press("Enter")
            second = int(_said(two, r"acked #(\d+)"))
            assert first != second
            # The pending ack is applied by the next writer, a browser's poll or the
            # cron check, whichever takes the store first: exactly once either way.
            wait_for(
                lambda: (
                    {a["status"] for a in alerts(config) if a["id"] in (first, second)} == {"acked"}
                ),
                90,
                lambda: f"an ack was lost: {alerts(config)}",
            )
        finally:
            stop.set()
            cron_thread.join(timeout=120)
        for page in (one, two):
            shown = page.screen.text()
            assert not [e for e in RAW_ERRORS if e in shown], shown
    assert checks and set(checks) == {0}
    assert _notes(config, first).count("from browser one") == 1
    assert _notes(config, second).count("from browser two") == 1
    everything = _notes(config, first) + _notes(config, second)
    assert everything.count("from browser one") == 1 and everything.count("from browser two") == 1


def _said(page: Page, pattern: str) -> str:
    """The first group of `pattern` once the page's screen shows it."""
    text = page.wait_screen(lambda t: re.search(pattern, t) is not None, pattern)
    found = re.search(pattern, text)
    assert found is not None
    return found.group(1)


def _hold(db: Path) -> duckdb.DuckDBPyConnection:
    """The store's lock, taken by this process (as a long job would), once it is free."""
    return wait_for(lambda: _try_lock(db), 60, lambda: f"{db} stayed locked for a minute")


def _try_lock(db: Path) -> duckdb.DuckDBPyConnection | None:
    try:
        return duckdb.connect(str(db))
    except duckdb.IOException:
        return None


def _notes(config: Path, alert_id: int) -> str:
    result = oncall_subprocess(
        "--config", config, "--now", NOW, "alerts", "show", str(alert_id), "--json"
    )
    assert result.code == 0, result.err
    return result.out
