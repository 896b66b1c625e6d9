"""`oncall demo`: build the demo world and open it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tui.cli.common import (
    Env,
    default_user,
    emit_json,
    env_of,
    err_console,
    info,
    progress_bar,
    show_progress,
)
from tui.cli.helptext import with_example
from tui.core.config.settings import Settings
from tui.core.monitor.run import run_checks_to_end
from tui.core.store.connection import Store
from tui.core.store.summary import store_summary
from tui.sandbox.demo import DEMO_NOW, build_demo, count_files
from tui.sandbox.history import apply_decisions
from tui.sandbox.scenario import ScenarioSpec, load_scenario


@with_example("oncall demo --dir /tmp/oncall-demo")
def demo(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("--dir", help="Where to build it.")] = Path("oncall-demo"),
    no_ui: Annotated[
        bool, typer.Option("--no-ui", help="Build and summarise; do not open the app.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the scenario's).")
    ] = None,
    scale: Annotated[float, typer.Option("--scale", min=0.001, help="Multiply traffic.")] = 1.0,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Rebuild even if the folder holds a demo (only a folder the demo made "
            "is ever deleted).",
        ),
    ] = False,
    scenario: Annotated[
        str, typer.Option("--scenario", help="A scenario in fixtures/scenarios.")
    ] = "demo",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (with --no-ui).")
    ] = False,
) -> None:
    """Build a realistic demo store (several models, six weeks, incidents) and open it."""
    env = env_of(ctx)
    spec = load_scenario(scenario)
    with progress_bar(show_progress(as_json), count_files(spec), "building the demo") as advance:
        built = build_demo(
            folder.resolve(),
            scenario=scenario,
            seed=seed,
            scale=scale,
            fresh=fresh,
            # The demo's own moment unless `--now` (or $ONCALL_NOW) names another.
            now=env.clock().fixed or DEMO_NOW,
            step=advance,
            run_checks=_checks_runner(spec),
            you=default_user(),
        )
    what = "reused" if built.reused else "built"
    info(f"{what} the demo in {built.folder} in {built.seconds:.1f} s")
    demo_env = Env(
        config_path=str(built.config_path),
        actor=env.actor,
        now_text=env.now_text or built.now.isoformat(),
        timeout=env.timeout,
    )
    if no_ui:
        summary = store_summary(Store(demo_env.settings().store_path))
        if as_json:
            emit_json(summary)
        else:
            _print_summary(summary)
            info(f"next: oncall --config {built.config_path}")
        return
    from tui.cli.open_app import open_app

    open_app(demo_env)


def _checks_runner(spec: ScenarioSpec) -> Callable[[Settings, Store, datetime], None] | None:
    """After building: run the checks, then replay the veterans' past decisions (and
    what they did with the other alerts of their shifts, as `spec` says)."""

    def run(settings: Settings, store: Store, now: datetime) -> None:
        run_checks_to_end(store, settings, now)
        apply_decisions(store, settings, spec)

    return run


def _print_summary(summary: dict[str, object]) -> None:
    table = Table(title=f"store {summary['store']}", title_justify="left")
    for col in ("model", "predictions", "labeled", "first", "last", "versions"):
        table.add_column(col, justify="right" if col in ("predictions", "labeled") else "left")
    models = summary["models"]
    assert isinstance(models, list)
    for m in models:
        table.add_row(
            str(m["model"]),
            f"{m['predictions']:,}",
            f"{m['labeled']:,}",
            f"{m['first_ts']:%Y-%m-%d %H:%M}",
            f"{m['last_ts']:%Y-%m-%d %H:%M}",
            str(m["versions"]),
        )
    err_console.print(table)
    info(
        f"{summary['files']} deliveries ingested, {summary['incidents']} planted incidents, "
        f"{summary['shifts']} past shifts"
    )
