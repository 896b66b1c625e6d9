"""What every command shares: the global options, output to stdout/stderr, progress."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tui.core.config import checked
from tui.core.config.locate import find_config
from tui.core.config.times import Clock
from tui.core.errors import OncallError

# Imported where used, not here: every command, `--help` included, loads this module,
# and the store (DuckDB), the config models (pydantic) and polars take most of a
# second to import that `--help` and `--version` have no use for.
if TYPE_CHECKING:
    from rich.text import Text

    from tui.cli.console import SafeConsole
    from tui.core.actions import Action
    from tui.core.config.settings import Settings
    from tui.core.session import Session
    from tui.core.store.connection import Store

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def safe_console(**options: Any) -> SafeConsole:
    """A new SafeConsole (`tui.cli.console`) with rich's ``options``."""
    # Here, not at the top: rich's console takes a noticeable part of start-up, and a
    # command printing only JSON (`alerts list --json`) or help never draws with it.
    from tui.cli.console import SafeConsole

    return SafeConsole(**options)


class LazyConsole:
    """A SafeConsole made when first printed through: the command line's two consoles
    are module names every command imports, but only some commands draw with rich.
    `console` is the console itself (for rich's own objects, a progress bar)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: SafeConsole | None = None

    @property
    def console(self) -> SafeConsole:
        if self._console is None:
            self._console = safe_console(**self._options)
        return self._console

    @property
    def width(self) -> int:
        return self.console.width

    def print(self, *objects: Any, **options: Any) -> None:
        """`Console.print`."""
        self.console.print(*objects, **options)

    def rule(self, title: str = "", **options: Any) -> None:
        """`Console.rule`."""
        self.console.rule(title, **options)


# Markup and emoji codes off: what is printed carries user values (file names, slice
# values, titles, error messages quoting input) and "[/x]" in one of them would raise a
# MarkupError or vanish, ":x:" would turn into a picture. Styling is given as Text and
# style= instead.
err_console = LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
out_console = LazyConsole(highlight=False, markup=False, emoji=False)


def default_user() -> str:
    """Who acts: ``$ONCALL_USER``, then the login name."""
    env = os.environ.get("ONCALL_USER")
    if env:
        return env
    from tui.core.session import os_login

    return os_login()


@dataclass
class Env:
    """The global options, resolved lazily so that `--help` never reads a config."""

    config_path: str | None = None
    actor: str = field(default_factory=default_user)
    now_text: str | None = None
    timeout: float | None = None
    # Look, never change: the role rule refuses every change (a served console).
    read_only: bool = False
    _settings: Settings | None = None
    _clock: Clock | None = None
    _drained: bool = False

    def settings(self) -> Settings:
        if self._settings is None:
            from tui.core.config.settings import load_config

            seen = checked.stamp(find_config(self.config_path))
            self._settings = load_config(self.config_path)
            policy = self._settings.config.alerting.surface
            bar = (
                None
                if policy is None
                else checked.SurfaceBar(policy.min_acted_share, policy.last, policy.min_episodes)
            )
            checked.remember(seen, self._settings.config.store, bar)
            if self.read_only:
                self._settings = self._settings.as_read_only()
            # `--as Bob` acts (and is recorded) as the roster's `bob`.
            self.actor = self._settings.canonical_name(self.actor)
        return self._settings

    def surface(self) -> checked.SurfaceBar | None:
        """The config's surfacing policy (`alerting.surface`); from the memo of a config
        already checked as it is now (no pydantic models built), else from a full check."""
        if self._settings is None:
            known, bar = checked.recall_surface(checked.stamp(find_config(self.config_path)))
            if known:
                return bar
        policy = self.settings().config.alerting.surface
        if policy is None:
            return None
        return checked.SurfaceBar(policy.min_acted_share, policy.last, policy.min_episodes)

    def store_path(self) -> Path:
        """The store the config names; from the memo of a config already checked as it
        is now (no pydantic models built), else from a full check."""
        if self._settings is None:
            known = checked.recall(checked.stamp(find_config(self.config_path)))
            if known is not None:
                return known
        return self.settings().store_path

    def store(self) -> Store:
        from tui.core.store.connection import CLI_WRITE_TIMEOUT, Store

        timeout = CLI_WRITE_TIMEOUT if self.timeout is None else self.timeout
        return Store(self.store_path(), timeout=timeout, on_wait=_say_waiting())

    def writer(self) -> Store:
        """The store for a change: the outbox's waiting actions are applied first (as
        their recorded actor at their recorded time), once per command, so every
        writer drains it, not only an open app."""
        store = self.store()
        if not self._drained:
            self._drained = True
            drain_outbox(self.session(store))
        return store

    def now(self) -> datetime:
        return self.clock().now()

    def clock(self) -> Clock:
        """`--now`, else `$ONCALL_NOW`, else the clock the config's folder keeps (the
        demo's), else the wall clock; read once per command."""
        if self._clock is None:
            clock = Clock.from_text(self.now_text)
            if clock.fixed is None:
                from tui.core.config.folder_clock import folder_clock

                kept = folder_clock(find_config(self.config_path))
                if kept is not None:
                    clock = Clock.at(kept)
            self._clock = clock
        return self._clock

    def session(self, store: Store | None = None) -> Session:
        """Who acts, on which store (by default the CLI's, which waits up to the
        timeout), under which settings, at what time."""
        from tui.core.session import Session

        return Session(self.settings(), store or self.store(), self.actor, self.clock())


def drain_outbox(session: Session) -> int:
    """Apply what the outbox holds, saying on stderr what was applied, refused or could
    not be read; an outbox that cannot be read is said too, never a failed command."""

    from tui.core.actions import flush

    def refused(action: Action, exc: OncallError) -> None:
        err_console.print(f"pending {action.kind} {action.target} refused: {exc.message}")

    def unreadable(count: int, path: Path) -> None:
        err_console.print(
            f"{count} queued action{'s' if count != 1 else ''} could not be read; kept in {path}"
        )

    try:
        applied = flush(session, on_error=refused, on_quarantine=unreadable)
    except OSError as exc:
        err_console.print(f"the outbox could not be read: {exc}")
        return 0
    if applied:
        err_console.print(f"{applied} pending action(s) applied", style="dim")
    return applied


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
    if type(data).__module__.startswith("polars") and hasattr(data, "to_dicts"):
        data = data.to_dicts()
    sys.stdout.write(json.dumps(data, default=_json_default, indent=2) + "\n")
    sys.stdout.flush()


def emit_json_line(data: Any) -> None:
    """Write one JSON object as one line to stdout (a log of JSON lines)."""
    sys.stdout.write(json.dumps(data, default=_json_default) + "\n")
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
        yield lambda _desc=None, _n=0, total=None: None
        return
    # Here, not at the top: a listing or JSON command never draws a bar.
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console.console,
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=total)

        def advance(description: str | None = None, n: int = 0, total: int | None = None) -> None:
            # `total`, once the work knows its exact size, so the count ends at n/n.
            progress.update(task, advance=n, description=description or label, total=total)

        yield advance
