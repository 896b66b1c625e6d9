"""`oncall sync [--model M] [--json]`: a lake model's daily aggregates computed where its
data lives (Spark, or DuckDB over Parquet) for the days whose files changed, and written
into the store in one transaction per model."""

from __future__ import annotations

from typing import Annotated

import typer

from tui.cli.common import JsonOpt, emit_json, env_of, info, progress_bar, show_progress
from tui.cli.helptext import with_example
from tui.core.errors import UsageError
from tui.core.lake.sync import lake_models, sync_model


@with_example("oncall sync --model fraud --json")
def sync(
    ctx: typer.Context,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only this lake model (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute the daily aggregates of lake models where their data lives, and store them:
    the rollups and label-delay histograms of the days whose data changed since the last
    sync, for each model with a `source:` in the config (Spark, or DuckDB over Parquet)."""
    env = env_of(ctx)
    settings = env.settings()
    lake = lake_models(settings)
    for name in model or []:
        if settings.model(name).source is None:
            raise UsageError(
                f"model {name} has no `source:`; it is ingested (`oncall ingest`), not synced",
                field="model",
            )
    names = list(dict.fromkeys(model)) if model else lake
    if not names:
        raise UsageError(
            "no model in the config has a lake `source:`; see the README's lake section"
        )
    store = env.writer()
    results = []
    with progress_bar(show_progress(as_json), len(names), "syncing") as advance:
        for name in names:
            result = sync_model(store, settings, name, env.now(), lambda m: advance(m, 0))
            advance(None, 1)
            results.append(result)
            if not as_json:
                if result.full or result.days:
                    why = f" ({result.reason})" if result.reason else ""
                    info(
                        f"{name}: {result.days:,} days{why}, {result.rows:,} rollup rows and "
                        f"{result.delay_rows:,} delay rows from {result.engine} in "
                        f"{result.seconds:.1f} s"
                    )
                else:
                    info(f"{name}: up to date ({result.files:,} files unchanged)")
    if as_json:
        emit_json({"models": [r.to_json() for r in results]})
