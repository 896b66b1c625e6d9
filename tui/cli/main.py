"""The `oncall` command: global options, command groups and the one error handler."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from tui import __version__
from tui.cli.coercion import lighten
from tui.cli.common import Env, err_console
from tui.cli.helptext import example
from tui.cli.lazy import LazyGroup
from tui.core.errors import OncallError, UsageError

app = typer.Typer(
    name="oncall",
    help="A terminal console for the ML engineer on call for production models.",
    epilog=example("oncall demo", "oncall --now '-2h' alerts list --format tsv"),
    rich_markup_mode=None,
    cls=LazyGroup,
)

# The longest --timeout: a day (NaN, infinity and negative seconds are refused).
MAX_TIMEOUT = 86_400

# Options every command takes, wherever they appear on the line.
GLOBAL_OPTIONS = ("--config", "--as", "--now", "--timeout")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"oncall {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", help="oncall.yaml; default $ONCALL_CONFIG, ./oncall.yaml"),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--as", help="Who acts; default $ONCALL_USER, then the login name."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Treat this time as now: ISO, -2h, 'yesterday 09:00'; default $ONCALL_NOW.",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Seconds to wait for a busy store (default 60)."),
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option("--read-only", help="Look, never change: every change is refused (exit 3)."),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Open the app on the configured store, or run a command."""
    if timeout is not None and not 0 <= timeout <= MAX_TIMEOUT:  # NaN fails both
        raise UsageError(f"--timeout takes seconds from 0 to {MAX_TIMEOUT:,}, got {timeout:g}")
    env = Env(config_path=config, now_text=now, timeout=timeout, read_only=read_only)
    if actor:
        env.actor = actor
    ctx.obj = env
    if ctx.invoked_subcommand is None:
        from tui.cli.open_app import open_app

        open_app(env)


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global options found after a subcommand to the front, so both orders work."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        name, eq, _ = arg.partition("=")
        if name in GLOBAL_OPTIONS:
            if eq:
                front.append(arg)
            elif i + 1 < len(argv):
                front += [arg, argv[i + 1]]
                i += 1
            else:
                rest.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


# A core error names the setting it is about in words; the command line's handle for
# it is the flag of the same words ("max depth" is --max-depth) unless listed here.
FLAG_FOR_FIELD: dict[str, str] = {}


def flag_of(field: str) -> str:
    """The command-line flag for a setting a core error names."""
    return FLAG_FOR_FIELD.get(field, "--" + field.replace(" ", "-").replace("_", "-"))


# Where to look or what to run next, in the command line's words, for the core errors
# that call for it; added here, once, whichever command raised them. Keyed by the
# error's class name, so that naming them imports none of the modules that raise them.
HINTS: dict[str, Callable[[Any], str]] = {
    "NoSuchAlert": lambda _e: "`oncall alerts list --status all` lists them",
    "NoSuchBug": lambda _e: "`oncall bugs list --status all` lists them",
    "NothingLinked": lambda e: (
        f"`oncall bugs link {e.bug_id} --prediction ID` or `--where COL=VAL --since T "
        "--until T` links them"
    ),
    "NoSuchShift": lambda _e: "`oncall shift list` lists them",
    "NoShiftYet": lambda _e: "`oncall shift start` begins one",
    "StoreDamaged": lambda _e: "`oncall restore BACKUP --yes` puts a backup back",
    "StoreUnavailable": lambda _e: "check the disk has room and the file's owner and mode",
}


def describe(exc: OncallError) -> str:
    """A core error as the command line says it: the message, a hint of what to run,
    and the flag of the setting it is about."""
    hint = HINTS.get(type(exc).__name__)
    text = exc.message + (f"; {hint(exc)}" if hint else "")
    return text + (f" ({flag_of(exc.field)})" if exc.field else "")


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code (0, 1, 2, 3 or 75)."""
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    # The global options (and completion's) converted without pydantic.
    command = lighten(typer.main.get_command(app))
    try:
        # Without standalone mode click returns an Exit's code instead of raising it.
        returned = command.main(args=args, prog_name="oncall", standalone_mode=False)
        if isinstance(returned, int):
            return returned
    except OncallError as exc:
        from rich.text import Text  # here: a command that works never styles an error

        err_console.print(
            Text.assemble((f"{exc.title}:", "bold red"), f" {describe(exc)}"), soft_wrap=True
        )
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except typer.TyperException as exc:
        # Typer's own click raises usage errors with a show() that prints usage and hint.
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:
            err_console.print(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
