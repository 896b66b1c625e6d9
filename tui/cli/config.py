"""`oncall config check`: the config against the data in the store."""

from __future__ import annotations

import typer

from tui.cli.common import JsonOpt, emit_json, env_of, info, out_console
from tui.cli.helptext import example
from tui.core.monitor.config_check import check_config

app = typer.Typer(
    epilog=example("oncall config check"),
    help="The config file, checked against the data.",
    no_args_is_help=True,
)


@app.command("check", epilog=example("oncall config check --json"))
def check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check that the declared slices, features, baselines, windows and supports fit the
    stored data: one line per problem naming the key to change. Exit 2 on any error;
    warnings alone exit 0."""
    env = env_of(ctx)
    settings = env.settings()
    path = settings.store_path
    # Checking must not create a store where there is none.
    store = env.store() if path.exists() else None
    report = check_config(settings, store, env.now())
    if as_json:
        emit_json(report.to_json())
    else:
        if store is None:
            info(f"no store yet at {path}: checked only what the config alone can tell")
        for p in report.problems:
            # The message names the model already; the key is what to change.
            out_console.print(f"{p.severity}: {p.message} [{p.key}]", soft_wrap=True)
        errors = sum(p.severity == "error" for p in report.problems)
        warnings = len(report.problems) - errors
        if report.problems:
            info(f"{errors} error(s), {warnings} warning(s) in {settings.path}")
        else:
            info(f"{settings.path} fits the data" if store else f"{settings.path} is consistent")
    if not report.ok:
        raise typer.Exit(2)
