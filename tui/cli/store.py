"""`oncall doctor`, `oncall backup FILE`, `oncall restore FILE --yes`: the store's
health and a way back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui.cli.common import JsonOpt, done, emit_json, env_of, info, out_console
from tui.cli.helptext import with_example
from tui.core.errors import UsageError
from tui.core.store.backup import aside_path, backup, inspect, restore
from tui.core.store.doctor import examine

FileArg = Annotated[Path, typer.Argument(help="The backup file.", show_default=False)]


@with_example("oncall doctor --json")
def doctor(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check the store: it opens, its write-ahead log replayed, the schema is current,
    the append-only histories are unbroken, no row points at nothing, no commit was
    lost, the outbox reads and the files are private. Changes nothing.

    Exit 0 healthy, 1 problems found (each with what to do), 74 the store cannot be
    opened, 75 busy."""
    env = env_of(ctx)
    report = examine(env.store())
    if as_json:
        emit_json(report.to_json())
    else:
        problems = [f for f in report.findings if f.problem]
        for f in report.findings:
            mark = "problem" if f.problem else "note"
            line = f"{mark} [{f.check}] {f.text}" + (f" — {f.todo}" if f.todo else "")
            out_console.print(line, soft_wrap=True)
        if problems:
            info(f"{len(problems)} problem(s) in {report.store}")
        else:
            info(
                f"{report.store}: healthy (schema {report.schema_version}, "
                f"{report.events_checked} history events checked)"
            )
    if not report.healthy:
        raise typer.Exit(1)


@with_example("oncall backup ~/backups/oncall-2026-12-07.duckdb")
def backup_command(
    ctx: typer.Context,
    file: FileArg,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a consistent copy of the store to FILE (mode 0600) while others keep
    reading; writers wait for the copy. FILE appears whole or not at all."""
    env = env_of(ctx)
    facts = backup(env.store(), file, force=force)
    done(f"backed up to {facts.text()}", as_json, facts.to_json)


@with_example("oncall restore ~/backups/oncall-2024-05-01.duckdb --yes")
def restore_command(
    ctx: typer.Context,
    file: FileArg,
    yes: Annotated[bool, typer.Option("--yes", help="Really replace the store.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Put the backup FILE in place of the store, keeping the current store aside as
    STORE.before-restore. Without --yes, says what it would do and exits 2."""
    env = env_of(ctx)
    store = env.store()
    facts = inspect(file)
    if not yes:
        keep = (
            f", keeping the current store as {aside_path(store.path)}"
            if store.path.exists()
            else ""
        )
        raise UsageError(
            f"restore would replace {store.path} with {facts.text()}{keep}; "
            "run again with --yes to do it"
        )
    result = restore(store, file)
    kept = f"; the previous store is kept as {result.kept_aside}" if result.kept_aside else ""
    done(f"restored {result.restored.text()}{kept}", as_json, result.to_json)
