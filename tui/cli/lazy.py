"""The command tree, loaded one command at a time.

`oncall --help`, `--version` and shell completion need only the names and one-line
help of the commands; `oncall alerts list` needs only the alerts module. So the root
group knows each command by name, module and summary, and imports a command's module
only when that command runs (or its own help is asked for), keeping start-up close to
the cost of Python and the libraries the command itself uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from functools import partial

import typer

# Typer carries its own copy of click: commands and contexts are of its types.
from typer import _click as click
from typer.core import TyperGroup

from tui.cli.coercion import lighten


@dataclass(frozen=True)
class Entry:
    """One command: where it lives and what the root's help says of it. `attr` names
    a Typer app (a group of subcommands) or a command function."""

    module: str
    attr: str
    summary: str
    group: bool = False


COMMANDS: dict[str, Entry] = {
    "alerts": Entry("tui.cli.alerts", "app", "List, inspect and act on alerts.", group=True),
    "backup": Entry("tui.cli.store", "backup_command", "Write a consistent copy of the store."),
    "bugs": Entry("tui.cli.bugs", "app", "The bug queue: file, triage, link, close, export.", True),
    "check": Entry(
        "tui.cli.check",
        "check",
        "Evaluate every check window that is due up to now and update the alerts.",
    ),
    "config": Entry("tui.cli.config", "app", "The config file, checked against the data.", True),
    "demo": Entry(
        "tui.cli.demo",
        "demo",
        "Build a realistic demo store (several models, six weeks, incidents) and open it.",
    ),
    "doctor": Entry("tui.cli.store", "doctor", "Check the store."),
    "examples": Entry("tui.cli.examples", "examples", "The prediction rows behind a number."),
    "handoff": Entry("tui.cli.shift", "handoff", "The incident report of a shift, in Markdown."),
    "ingest": Entry(
        "tui.cli.ingest", "app", "Load prediction or label files into the store.", True
    ),
    "init": Entry("tui.cli.init", "init", "Write a commented starter oncall.yaml."),
    "labels": Entry(
        "tui.cli.labels",
        "app",
        "Label arrival: coverage over time, delays, overdue predictions.",
        True,
    ),
    "notify": Entry(
        "tui.cli.notify",
        "app",
        "Notifications to the on-call: what is pending, sent or failed; send now; test.",
        True,
    ),
    "restore": Entry(
        "tui.cli.store", "restore_command", "Put the backup FILE in place of the store."
    ),
    "serve": Entry(
        "tui.cli.serve", "app", "Serve the console to browsers (read-only for watchers)."
    ),
    "shadow": Entry(
        "tui.cli.shadow", "app", "Shadow mode: replay, follow, drills and readiness.", True
    ),
    "sync": Entry(
        "tui.cli.sync",
        "sync",
        "Compute the daily aggregates of lake models where their data lives, and store them.",
    ),
    "tune": Entry("tui.cli.tune", "tune", "Thresholds back-tested on the record."),
    "shift": Entry("tui.cli.shift", "app", "On-call shifts: start, end, status, list.", True),
    "watch": Entry(
        "tui.cli.watch",
        "watch",
        "Watch a drop folder: ingest new files, run the due checks, send notifications.",
    ),
    "slices": Entry(
        "tui.cli.slices", "app", "Model quality per slice, with intervals and label coverage.", True
    ),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's subcommands by name, in the order they were declared, each made from
    its Typer definition when first looked up: `alerts list` makes one command, not the
    group's twelve (reading each one's signature and types is start-up time)."""

    def __init__(self, makers: dict[str, Callable[[], click.Command]]) -> None:
        self._makers = makers
        self._made: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._made:
            self._made[name] = self._makers[name]()  # KeyError for an unknown name
        return self._made[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._made[name] = command
        self._makers.setdefault(name, lambda: command)

    def __delitem__(self, name: str) -> None:
        del self._makers[name]
        self._made.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def _subcommand(info: typer.models.CommandInfo, short: bool) -> click.Command:
    return lighten(
        typer.main.get_command_from_info(info, pretty_exceptions_short=short, rich_markup_mode=None)
    )


def _group(app: typer.Typer) -> click.Command:
    """``app``'s click group, its subcommands made when first used (`LazyCommands`)."""
    # Plain help, as the root's: no rich boxes (rich_markup_mode=None), whichever way
    # the module made its app.
    app.rich_markup_mode = None
    infos = app.registered_commands
    app.registered_commands = []  # the group itself, without making its commands
    try:
        group = typer.main.get_group(app)
    finally:
        app.registered_commands = infos
    group.commands = LazyCommands(
        {
            info.name or typer.main.get_command_name(info.callback.__name__): partial(
                _subcommand, info, app.pretty_exceptions_short
            )
            for info in infos
            if info.callback is not None
        }
    )
    return group


def load(name: str, entry: Entry) -> click.Command:
    """Import ``entry``'s module and make its click command."""
    found = getattr(importlib.import_module(entry.module), entry.attr)
    command: click.Command
    if entry.group:
        command = _group(found)
    elif isinstance(found, typer.Typer):
        # A module that makes its one command itself (with an epilog, say).
        command = typer.main.get_command(found)
    else:
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        # A command's example ends its help (`helptext.with_example`).
        single.command(name, epilog=getattr(found, "epilog", None))(found)
        command = typer.main.get_command(single)
    command.name = name
    return lighten(command)


class LazyGroup(TyperGroup):
    """The root group: its commands are imported when used, listed from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None or cmd_name not in COMMANDS:
            return known
        command = load(cmd_name, COMMANDS[cmd_name])
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The root's help lists every command from its summary, importing none of them.
        rows = [(name, COMMANDS[name].summary) for name in sorted(COMMANDS)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
