"""A loopback HTTP receiver for notification tests: it records every request and
answers from a script, failing on purpose (500, a timeout, 429 with Retry-After, a
request held open until the test lets it go). Only 127.0.0.1, never anything else."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request: its path, body, and what the receiver answered."""

    path: str
    body: dict[str, Any]
    answer: str
    at: float


@dataclass
class Receiver:
    """The recorder. `script` is consumed one entry per request: "500", "timeout",
    "429", "400", "hold" (kept open until `release()`); once it runs out, 202."""

    script: list[str] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    timeout_sleep: float = 1.6
    held: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else "202"

    def accepted(self, path: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the requests answered 2xx (what the receiver took), in order."""
        return [
            r.body
            for r in self.requests
            if r.answer in ("202", "hold") and (path is None or r.path == path)
        ]

    def release(self) -> None:
        self.held.set()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(size) or b"{}")
            answer = receiver.next_answer()
            if answer == "timeout":
                time.sleep(receiver.timeout_sleep)
                receiver.requests.append(Received(self.path, body, answer, time.time()))
                self.close_connection = True
                return
            if answer == "hold":
                receiver.requests.append(Received(self.path, body, answer, time.time()))
                receiver.arrived.set()
                receiver.held.wait(30)
                answer_code = 202
            else:
                receiver.requests.append(Received(self.path, body, answer, time.time()))
                answer_code = int(answer)
            self.send_response(answer_code)
            if answer_code == 429:
                self.send_header("Retry-After", "1")
            payload = b'{"status":"success"}' if answer_code < 300 else b'{"error":"on purpose"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # The sender may be gone (killed): it never reads the answer.
            with contextlib.suppress(OSError):
                self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@contextmanager
def receiving(script: list[str] | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (a free port) for the duration of the block."""
    receiver = Receiver(script=list(script or []))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
