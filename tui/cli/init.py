"""`oncall init [DIR]`: write a commented starter config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui.cli.common import JsonOpt, done
from tui.cli.helptext import with_example
from tui.core.config.starter import write_starter
from tui.core.errors import UsageError


@with_example("oncall init ./monitoring")
def init(
    folder: Annotated[Path, typer.Argument(help="Where to write oncall.yaml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a commented starter oncall.yaml."""
    try:
        path = write_starter(folder, force=force)
    except UsageError as exc:
        # The core says what is in the way; how to overwrite it is this command's flag.
        raise UsageError(f"{exc.message}; pass --force to overwrite it") from None
    done(
        f"wrote {path}; edit the models, then `oncall ingest predictions FILE --model NAME`",
        as_json,
        lambda: {"config": str(path)},
    )
