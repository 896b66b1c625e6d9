"""What every command shares: the global options, output to stdout/stderr, progress."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from tui.core.config.settings import Settings, load_config
from tui.core.config.times import Clock
from tui.core.session import Session
from tui.core.store.connection import CLI_WRITE_TIMEOUT, Store

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]

# Markup off: what is printed carries user values (file names, slice values, titles,
# error messages quoting input) and "[/x]" in one of them would raise a MarkupError
# or vanish. Styling is given as Text and style= instead.
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
out_console = Console(highlight=False, markup=False)


def default_user() -> str:
    """Who acts: ``$ONCALL_USER``, then the login name."""
    env = os.environ.get("ONCALL_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@dataclass
class Env:
    """The global options, resolved lazily so that `--help` never reads a config."""

    config_path: str | None = None
    actor: str = field(default_factory=default_user)
    now_text: str | None = None
    timeout: float | None = None
    _settings: Settings | None = None
    _clock: Clock | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_config(self.config_path)
        return self._settings

    def store(self) -> Store:
        timeout = CLI_WRITE_TIMEOUT if self.timeout is None else self.timeout
        return Store(self.settings().store_path, timeout=timeout, on_wait=_say_waiting())

    def now(self) -> datetime:
        return self.clock().now()

    def clock(self) -> Clock:
        """`--now`, else `$ONCALL_NOW`, else the wall clock; read once per command."""
        if self._clock is None:
            self._clock = Clock.from_text(self.now_text)
        return self._clock

    def session(self, store: Store | None = None) -> Session:
        """Who acts, on which store (by default the CLI's, which waits up to the
        timeout), under which settings, at what time."""
        return Session(self.settings(), store or self.store(), self.actor, self.clock())


def _say_waiting() -> Any:
    said: set[int | None] = set()

    def on_wait(holder: int | None, remaining: float) -> None:
        if holder not in said:
            said.add(holder)
            who = f"PID {holder}" if holder else "another process"
            err_console.print(
                f"store busy, held by {who}; waiting up to {remaining:.0f} s", style="dim"
            )

    return on_wait


def env_of(ctx: typer.Context) -> Env:
    """The Env the root callback stored on the context."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Env):
        obj = Env()
        ctx.find_root().obj = obj
    return obj


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def emit_json(data: Any) -> None:
    """Write JSON to stdout, and nothing else goes there."""
    if isinstance(data, pl.DataFrame):
        data = data.to_dicts()
    sys.stdout.write(json.dumps(data, default=_json_default, indent=2) + "\n")
    sys.stdout.flush()


def info(message: str | Text) -> None:
    """A message for the person: stderr, so stdout stays clean for data."""
    err_console.print(message)


def done(message: str, as_json: bool, result: Callable[[], Any]) -> None:
    """After a change: say what was done (stderr) and, with --json, print `result()`,
    what was changed as it now is (stdout)."""
    info(message)
    if as_json:
        emit_json(result())


def show_progress(json_mode: bool) -> bool:
    """A progress bar only for a person at a terminal, never in JSON mode or a pipe."""
    return not json_mode and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


@contextmanager
def progress_bar(enabled: bool, total: int, label: str) -> Iterator[Any]:
    """A rich progress bar on stderr, or a no-op; yields ``advance(description)``."""
    if not enabled:
        yield lambda _desc=None, _n=0: None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=total)

        def advance(description: str | None = None, n: int = 0) -> None:
            progress.update(task, advance=n, description=description or label)

        yield advance
