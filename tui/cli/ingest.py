"""`oncall ingest predictions|labels FILE|FOLDER... [--glob PATTERN]... --model M`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from tui.cli.common import emit_json, env_of, info, progress_bar, show_progress
from tui.cli.helptext import example
from tui.core.config.lake import refuse_lake
from tui.core.errors import UsageError
from tui.core.ingest.load import IngestResult, ingest_file, ingest_pattern
from tui.core.ingest.plan import Kind

app = typer.Typer(
    epilog=example("oncall ingest predictions preds.parquet --model fraud"),
    help="Load prediction or label files into the store.",
    no_args_is_help=True,
)

Files = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Parquet, CSV or JSON-lines files (.csv and .jsonl may end in .gz or .zst), "
        "or folders: a folder or Hive tree (dt=2026-11-20/part-0.parquet) is one ingest, "
        "all files or none; key=value folders fill declared columns the files lack.",
        metavar="FILE|FOLDER",
        show_default=False,
    ),
]
GlobOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--glob",
        metavar="PATTERN",
        help="Ingest the files a pattern names (preds/dt=*/*.parquet; ** spans folders) "
        "as one ingest, all or nothing. Quote it so the shell leaves it alone.",
        show_default=False,
    ),
]
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
    patterns: list[str],
    model: str,
    fmt: str | None,
    as_json: bool,
    force: bool,
) -> None:
    if not files and not patterns:
        raise UsageError("name at least one file or folder, or give --glob PATTERN")
    env = env_of(ctx)
    settings = env.settings()
    refuse_lake(model, settings.model(model).source, "`oncall ingest` (its rows stay in the lake)")
    store = env.writer()
    results: list[IngestResult] = []
    sources: list[Path | str] = [*files, *patterns]
    with progress_bar(show_progress(as_json), len(sources), f"ingesting {kind}") as advance:
        for source in sources:
            # A Path is a file or folder the user named; a str is a --glob pattern.
            ingest: Any = ingest_file if isinstance(source, Path) else ingest_pattern
            result = ingest(
                store,
                settings,
                kind,
                model,
                source,
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
    several = f" from {r.files:,} files" if r.files > 1 else ""
    info(
        f"{r.file}: {r.rows:,} rows{several} — {r.added:,} added, {r.replaced:,} replaced, "
        f"{r.unchanged:,} unchanged in {r.seconds:.2f} s"
    )
    for finding in r.schema_findings:
        info(
            Text.assemble(
                "  ", ("schema", "yellow"), f": {finding['detail']} ({finding['finding']})"
            )
        )


@app.command("predictions", epilog=example("oncall ingest predictions preds.parquet --model fraud"))
def predictions(
    ctx: typer.Context,
    model: ModelOpt,
    files: Files = None,
    patterns: GlobOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
) -> None:
    """Ingest prediction files: each file, folder or pattern all or nothing; the same rows
    twice change nothing."""
    _run(ctx, "predictions", files or [], patterns or [], model, fmt, as_json, force)


@app.command("labels", epilog=example("oncall ingest labels labels.csv --model fraud"))
def labels(
    ctx: typer.Context,
    model: ModelOpt,
    files: Files = None,
    patterns: GlobOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
) -> None:
    """Ingest label files; a later label for a prediction replaces the earlier one."""
    _run(ctx, "labels", files or [], patterns or [], model, fmt, as_json, force)
