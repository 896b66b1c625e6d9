"""`oncall init [DIR]`: write a commented starter config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui.cli.common import JsonOpt, done
from tui.core.config.starter import write_starter


def init(
    folder: Annotated[Path, typer.Argument(help="Where to write oncall.yaml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a commented starter oncall.yaml."""
    path = write_starter(folder, force=force)
    done(
        f"wrote {path}; edit the models, then `oncall ingest predictions FILE --model NAME`",
        as_json,
        lambda: {"config": str(path)},
    )
