"""`oncall serve`: the console in a browser, for the people who watch a shift.

Every browser tab gets its own app process (the `oncall` command itself, started by
textual-serve for each websocket) over the same store, taking the store's lock per
unit of work like any other process. The page and its socket need a token; a
console served without `--as NAME` is read-only, as is one served with `--read-only`.
Read-only travels on each app process's command line, where no page can reach it.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tui.cli.common import Env, env_of, err_console
from tui.cli.helptext import example
from tui.core.errors import UsageError
from tui.web.server import TokenServer
from tui.web.token import STRONG_LENGTH, new_token, read_token_file

# From a laptop, tunnel to the host (`ssh -L 8000:127.0.0.1:8000 oncall-host`) and open
# the URL it printed; the README's "Sharing a shift in a browser" shows the whole way.
EXAMPLE = example("oncall serve --read-only", "oncall --as alice serve --port 8080")

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command("serve", epilog=EXAMPLE)
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; loopback unless you say so.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Anyone with the URL may look, not act (the default without --as NAME).",
        ),
    ] = False,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="Read a fixed token from this file (only its owner may read it); "
            "default: a new random token each run.",
        ),
    ] = None,
) -> None:
    """Serve the console to browsers (read-only for watchers).

    Each browser gets its own console over the same store. The page needs the token
    printed at start. `--as NAME` (before or after `serve`) lets the browser act as
    NAME; without it, or with `--read-only`, every change is refused in the page."""
    env = env_of(ctx)
    # `--as` is a global option: whether it was given is the root's to say.
    named = ctx.find_root().params.get("actor") is not None
    looking_only = read_only or env.read_only or not named
    loopback = _loopback(host)
    token = read_token_file(token_file) if token_file is not None else new_token()
    settings = env.settings()  # a config that does not load stops here, not in each tab
    command = app_command(env, looking_only)
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{port}/?token={token}"

    def ready() -> None:
        mode = "read-only" if looking_only else f"acting as {env.actor}"
        err_console.print(
            Text.assemble(
                ("oncall serve", "bold"),
                f": the console on {settings.path}, {mode}, on http://{url_host}:{port}",
            )
        )
        if not named and not read_only and not env.read_only:
            err_console.print("read-only: no --as NAME said who may act from the browser")
        if not loopback:
            err_console.print(
                f"listening on {host}: anyone who can reach this port and has the token gets in",
                style="bold yellow",
            )
        if token_file is not None and len(token) < STRONG_LENGTH:
            err_console.print(
                f"the token in {token_file} is short ({len(token)} characters); "
                f"{STRONG_LENGTH} or more are hard to guess",
                style="bold yellow",
            )
        if token_file is None:
            err_console.print(f"token: {token}")
        err_console.print(Text.assemble("open ", (url, "bold")))
        err_console.print("Ctrl+C stops it (and every browser's console)", style="dim")

    TokenServer(command, host=host, port=port, token=token, title="oncall", on_ready=ready).run()


def app_command(env: Env, read_only: bool) -> str:
    """The command textual-serve runs for each browser: this Python, the `oncall` app on
    the same config, as the same person, at the same "now", read-only if so served."""
    settings = env.settings()
    args = [
        sys.executable,
        "-m",
        "tui",
        "--config",
        str(settings.path.resolve()),
        "--as",
        env.actor,
    ]
    fixed = env.clock().fixed
    if fixed is not None:
        args += ["--now", fixed.isoformat()]
    if read_only:
        args.append("--read-only")
    return shlex.join(args)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise UsageError(f"--host takes an IP address or localhost, got {host!r}") from None
