"""textual-serve's server, with every page and socket behind a token.

textual-serve starts the app command once per websocket (a fresh process per browser
tab, each opening the store per unit of work like any other process) and relays the
terminal between that process and xterm.js in the page. It has no notion of who may
connect, so this server adds one: the page needs ``?token=`` and its socket is
``/ws/TOKEN``; anything else is a 403 before a process is started.
"""

from __future__ import annotations

import asyncio
import errno
import signal
from collections.abc import Callable

import aiohttp_jinja2
import jinja2
from aiohttp import web
from rich.console import Console
from textual_serve.server import Server, to_int

from tui.core.errors import UsageError
from tui.web.token import token_matches

REFUSED = "403: this console needs its token; open the URL `oncall serve` printed"
# Waiting no longer than this for open sockets when stopped: each socket's app process
# is told to quit when its socket closes.
SHUTDOWN_SECONDS = 3.0


class TokenServer(Server):
    """Serves `command` (the console) to browsers that bring `token`."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        token: str,
        title: str,
        on_ready: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.token = token
        self.on_ready = on_ready
        # Its log (an app that failed to start, say) goes to stderr: stdout is for data.
        self.console = Console(stderr=True, markup=False, highlight=False)

    def allowed(self, given: str | None) -> bool:
        """Whether a request brought the token."""
        return token_matches(given, self.token)

    def make_app(self) -> web.Application:
        """The routes: the page and its socket behind the token; the static files (the
        terminal's script, styles and fonts, the same for everyone) and the app's
        downloads (each behind a random key) without."""
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.refuse),
                web.get("/ws/{token}", self.handle_websocket, name="websocket"),
                # A file the app hands the browser (a screenshot from the palette), by
                # the random key the app made for it; the page adds no token to it.
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        return app

    async def refuse(self, request: web.Request) -> web.StreamResponse:
        """A socket asked for without a token."""
        raise web.HTTPForbidden(text=REFUSED)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page: the terminal, told to open its socket at this host with the token.
        Built from the request's own host, so a tunnel on another local port works."""
        if not self.allowed(request.query.get("token")):
            raise web.HTTPForbidden(text=REFUSED)
        scheme = "wss" if request.secure else "ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{scheme}://{request.host}/ws/{self.token}",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        # The token is in this page's URL: keep it out of caches and Referer headers.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """The socket that drives one app process, refused (no process started) without
        the token."""
        if not self.allowed(request.match_info.get("token")):
            raise web.HTTPForbidden(text=REFUSED)
        return await super().handle_websocket(request)

    async def on_startup(self, app: web.Application) -> None:
        """Nothing to print here: `on_ready` speaks once the port is bound."""

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM. A port that cannot be bound is a UsageError."""
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        try:
            web.run_app(
                self.make_app(),
                host=self.host,
                port=self.port,
                handle_signals=False,
                loop=loop,
                # aiohttp says where it listens once bound: the moment to give the URL.
                print=lambda *_args: self.on_ready(),
                # The request line holds the token: not logged.
                access_log=None,
                shutdown_timeout=SHUTDOWN_SECONDS,
            )
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
                raise UsageError(
                    f"cannot listen on {self.host}:{self.port}: {exc.strerror}", field="port"
                ) from None
            raise
