"""`oncall ingest predictions|labels FILE... --model M`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tui.cli.common import emit_json, env_of, info, progress_bar, show_progress
from tui.core.ingest.load import IngestResult, Kind, ingest_file

app = typer.Typer(help="Load prediction or label files into the store.", no_args_is_help=True)

Files = Annotated[list[Path], typer.Argument(help="Parquet, CSV or JSON-lines files.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="The model the rows belong to.")]
FormatOpt = Annotated[
    str | None, typer.Option("--format", help="parquet, csv or json; default: by extension.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Re-read a file even if its content was ingested before.")
]


def _run(
    ctx: typer.Context,
    kind: Kind,
    files: list[Path],
    model: str,
    fmt: str | None,
    as_json: bool,
    force: bool,
) -> None:
    env = env_of(ctx)
    settings = env.settings()
    settings.model(model)
    store = env.writer()
    results: list[IngestResult] = []
    with progress_bar(show_progress(as_json), len(files), f"ingesting {kind}") as advance:
        for path in files:
            result = ingest_file(
                store,
                settings,
                kind,
                model,
                path,
                actor=env.actor,
                now=env.now(),
                fmt=fmt,
                force=force,
                progress=lambda msg: advance(msg, 0),
            )
            advance(None, 1)
            results.append(result)
            if not as_json:
                _say(result)
    if as_json:
        emit_json([r.to_dict() for r in results])


def _say(r: IngestResult) -> None:
    if r.already_ingested:
        info(f"{r.file}: already ingested ({r.rows:,} rows unchanged)")
        return
    info(
        f"{r.file}: {r.rows:,} rows — {r.added:,} added, {r.replaced:,} replaced, "
        f"{r.unchanged:,} unchanged in {r.seconds:.2f} s"
    )
    for finding in r.schema_findings:
        info(
            Text.assemble(
                "  ", ("schema", "yellow"), f": {finding['detail']} ({finding['finding']})"
            )
        )


@app.command("predictions")
def predictions(
    ctx: typer.Context,
    files: Files,
    model: ModelOpt,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
) -> None:
    """Ingest prediction files: each file all or nothing, the same rows twice change nothing."""
    _run(ctx, "predictions", files, model, fmt, as_json, force)


@app.command("labels")
def labels(
    ctx: typer.Context,
    files: Files,
    model: ModelOpt,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
) -> None:
    """Ingest label files; a later label for a prediction replaces the earlier one."""
    _run(ctx, "labels", files, model, fmt, as_json, force)
