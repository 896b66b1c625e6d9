"""Driving `oncall serve` from a real browser: the server in a child process, Debian's
Chromium through Playwright, and the terminal the page shows read back as text.

The page draws the terminal on a canvas (xterm.js), so its text is not in the DOM.
What the page is sent over its websocket is the terminal's byte stream; `Screen`
replays it (cursor moves and text; colours ignored) into the rows the page shows.
"""

from __future__ import annotations

import codecs
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rich.cells import cell_len

CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no network beyond loopback, no first-run or background traffic, a fresh profile.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Waits are bounded; these are generous for a loaded two-core machine.
START_SECONDS = 90.0
SCREEN_SECONDS = 60.0

T = TypeVar("T")

CSI = re.compile(r"\x1b\[([0-9;?<=>]*)([ -/]*)([@-~])")
OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def require_chromium() -> Path:
    """Debian's Chromium, or a skip that says how to get it (CI's .ci/run installs it)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium: "
            "apt-get install chromium (.ci/run installs it when missing)"
        )
    return CHROMIUM


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Screen:
    """A terminal screen fed the bytes an app writes: cursor positions and text."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, str]] = {}
        self.row = 0
        self.col = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self.lock = threading.Lock()

    def feed(self, data: bytes) -> None:
        """Apply a chunk of output (a chunk may end inside a sequence or a character)."""
        with self.lock:
            text = self._pending + self._decoder.decode(data)
            self._pending = ""
            i = 0
            while i < len(text):
                ch = text[i]
                if ch == "\x1b":
                    match = CSI.match(text, i) or OSC.match(text, i)
                    if match is None:
                        if len(text) - i < 64 and "\x07" not in text[i:]:
                            self._pending = text[i:]  # the rest comes in the next chunk
                            return
                        i += 2  # a two-character escape (ESC =, ESC >, ...)
                        continue
                    if match.re is CSI and match.group(3) == "H" and not match.group(2):
                        parts = [int(p) if p.isdigit() else 1 for p in match.group(1).split(";")]
                        parts += [1, 1]
                        self.row, self.col = parts[0] - 1, parts[1] - 1
                    i = match.end()
                elif ch == "\n":
                    self.row += 1
                    i += 1
                elif ch == "\r":
                    self.col = 0
                    i += 1
                elif ch < " ":
                    i += 1
                else:
                    line = self.rows.setdefault(self.row, {})
                    line[self.col] = ch
                    width = cell_len(ch)
                    for extra in range(1, width):
                        line[self.col + extra] = ""
                    self.col += max(width, 1)
                    i += 1

    def text(self) -> str:
        """The screen as lines of text."""
        with self.lock:
            lines = []
            for r in range(max(self.rows, default=-1) + 1):
                line = self.rows.get(r, {})
                width = max(line, default=-1) + 1
                lines.append("".join(line.get(c, " ") for c in range(width)).rstrip())
            return "\n".join(lines)


@dataclass
class Served:
    """A running `oncall serve`: its process, URL, token and what it said on stderr."""

    process: subprocess.Popen[str]
    port: int
    token: str
    url: str
    stderr: list[str] = field(default_factory=list)

    def app_processes(self) -> list[int]:
        """Ids of the processes the server started (textual-serve's app processes,
        through the shell it runs them with) that are still alive."""
        return sorted(child_processes(self.process.pid))


def child_processes(parent: int) -> set[int]:
    """The living descendants of process `parent` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {parent}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


@contextmanager
def serving(*args: str | Path, cwd: Path) -> Iterator[Served]:
    """`oncall ARGS serve ...` on a free loopback port until the block ends; its URL is
    read from stderr. The server and every app process it started are stopped after."""
    port = free_port()
    script = Path(sys.executable).parent / "oncall"
    command = [str(script), *[str(a) for a in args], "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        start_new_session=True,  # its own process group: the app processes go with it
    )
    lines: list[str] = []
    assert process.stderr is not None
    stream = process.stderr
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    try:
        url = wait_for(
            lambda: next((ln.split()[1] for ln in lines if ln.startswith("open http")), None),
            START_SECONDS,
            lambda: f"oncall serve did not say where it listens; it said:\n{''.join(lines)}",
            stop=lambda: process.poll() is not None,
        )
        token = url.split("token=", 1)[1]
        yield Served(process, port, token, url, lines)
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


def wait_for(
    probe: Callable[[], T | None],
    seconds: float,
    what: Callable[[], str],
    stop: Callable[[], bool] = lambda: False,
) -> T:
    """Poll `probe` until it answers (not None/False), for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if stop() or time.monotonic() > deadline:
            pytest.fail(what())
        time.sleep(0.1)


@dataclass
class Page:
    """One browser's tab on the console, with the screen its socket drew."""

    page: Any
    screen: Screen

    def wait_text(self, *needles: str, seconds: float = SCREEN_SECONDS) -> str:
        """Wait until the screen shows every needle; the screen's text."""
        return self.wait_screen(lambda text: all(n in text for n in needles), str(needles), seconds)

    def wait_screen(
        self, shows: Callable[[str], bool], what: str, seconds: float = SCREEN_SECONDS
    ) -> str:
        """Wait until `shows(screen text)`; the text. Waits inside Playwright, which
        delivers the socket's frames only while it is called."""
        deadline = time.monotonic() + seconds
        while True:
            text = self.screen.text()
            if shows(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"the page never showed {what}:\n{text}")
            self.page.wait_for_timeout(100)

    def idle(self, seconds: float) -> None:
        """Let the page run (and its frames arrive) for a while."""
        self.page.wait_for_timeout(seconds * 1000)

    def focus(self) -> None:
        """Give the terminal the keyboard, with a click on the status line (a click on
        a table would move its cursor)."""
        self.page.click("#terminal", position={"x": 400, "y": 5})

    def press(self, *keys: str) -> None:
        """Keys typed into the page's terminal."""
        for key in keys:
            self.page.keyboard.press(key)


@contextmanager
def browsers() -> Iterator[Callable[[str], Page]]:
    """Yields a function that starts a headless Chromium (Debian's; a fresh profile each)
    and opens a URL in it: each call is another browser, with its own app process."""
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    with ExitStack() as stack:
        p = stack.enter_context(sync_playwright())

        def open_page(url: str) -> Page:
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="oncall-chromium-"))
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=str(chromium),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1400, "height": 900},
            )
            stack.callback(context.close)
            # Only the served console: the page's web font and anything else stay offline.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith("http://127.0.0.1")
                    else route.abort()
                ),
            )
            page = context.pages[0] if context.pages else context.new_page()
            screen = Screen()

            def on_socket(ws: Any) -> None:
                def on_frame(payload: Any) -> None:
                    if isinstance(payload, bytes):
                        screen.feed(payload)

                ws.on("framereceived", on_frame)

            page.on("websocket", on_socket)
            page.goto(url)
            return Page(page, screen)

        yield open_page
