"""Building the demo (and drill sandboxes): simulate a scenario, write it, ingest it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml

from tui.core.config.folder_clock import DEMO_MARKER
from tui.core.config.settings import DEMO_BUILDING, Settings, load_config
from tui.core.config.times import floor_time
from tui.core.errors import UsageError
from tui.core.ingest.load import ingest_file
from tui.core.ingest.plan import Kind
from tui.core.store.connection import Store
from tui.sandbox.history import load_history
from tui.sandbox.scenario import ScenarioSpec, load_scenario
from tui.sandbox.simulator import simulate, write_world

MARKER = DEMO_MARKER
# What a world's files hold, in the order they are ingested.
KINDS: tuple[Kind, ...] = ("predictions", "labels")
# The demo's world is always the same moment, whenever it is built: the same seed then
# gives the same alerts with the same ids, and the README's tour (which names alert
# ids and dates) is true of every build. Commands in its folder keep this clock.
DEMO_NOW = datetime(2026, 11, 26, 4, 0)


class Step(Protocol):
    """Progress: what is being done, how many steps just finished, and (once known) how
    many steps there are in all, so a bar's total is the steps it counts."""

    def __call__(self, message: str, n: int, /, total: int | None = None) -> None: ...


@dataclass
class DemoBuild:
    """Where a demo is and whether it was built now or reused."""

    folder: Path
    config_path: Path
    reused: bool
    seconds: float
    now: datetime


def _marker(scenario: str, seed: int, scale: float) -> dict[str, Any]:
    return {"scenario": scenario, "seed": seed, "scale": scale}


def build_world_dir(
    spec: ScenarioSpec,
    folder: Path,
    *,
    seed: int,
    scale: float,
    now: datetime,
    actor: str = "demo",
    step: Step | None = None,
    run_checks: Callable[[Settings, Store, datetime], None] | None = None,
    with_history: bool = True,
    you: str | None = None,
) -> Path:
    """Simulate ``spec``, write config and files under ``folder``, ingest them all and
    load the scenario's history (not for a drill, whose answers stay in the spec).
    ``you``, the login building it, joins the team as an engineer (unless on it
    already), so the tour's commands work without `--as`. Returns the config path."""
    say: Step = step or _quiet
    end = floor_time(now, timedelta(hours=1))
    say("simulating the world", 0)
    world = simulate(spec, seed=seed, scale=scale, end=end)
    data = folder / "data"
    files = write_world(world, data)
    # One ingest per model and kind (a folder of daily files, in one transaction), the
    # history and the checks: each one step. File by file, the fixed cost of a
    # transaction per file made weeks of files the larger part of the build.
    deliveries = [(kind, model) for kind in KINDS for model, kinds in files.items() if kinds[kind]]
    say("ingesting", 0, len(deliveries) + int(with_history) + int(run_checks is not None))
    config = spec.oncall_config(world.start)
    team = config.setdefault("team", [])
    if you and all(str(m["name"]).casefold() != you.casefold() for m in team):
        team.append({"name": you, "role": "engineer"})
    config_path = folder / "oncall.yaml"
    header = (
        f"# oncall config for the {spec.name!r} scenario, written by `oncall demo`.\n"
        f"# World: {world.start:%Y-%m-%d %H:%M} to {world.end:%Y-%m-%d %H:%M} UTC, seed {seed}.\n"
    )
    config_path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    settings = load_config(config_path, building=True)
    store = Store(settings.store_path)
    # Predictions first; a folder's files are read in name (day) order, so each model's
    # labels are ingested in the order they arrived, as a pipeline would.
    for kind, model in deliveries:
        doing = f"ingesting {model} {kind}"
        say(doing, 0)
        ingest_file(
            store,
            settings,
            kind,
            model,
            data / kind / model,
            actor=actor,
            now=end,
            progress=_saying(say, doing),
        )
        say(doing, 1)
    if with_history:
        say("loading the shift history", 0)
        load_history(store, world)
        say("loaded the shift history", 1)
    if run_checks is not None:
        say("running the checks", 0)
        run_checks(settings, store, end)
        say("ran the checks", 1)
    return config_path


def _saying(say: Step, doing: str) -> Callable[[str], None]:
    """An ingest's own progress (the file it reads) as a step of the build's."""

    def progress(message: str) -> None:
        say(f"{doing}: {message}", 0)

    return progress


def _quiet(message: str, n: int, /, total: int | None = None) -> None:
    """No progress shown."""


def count_files(spec: ScenarioSpec) -> int:
    """About how many steps building ``spec`` takes, until the exact count is known (the
    builder says it as soon as the world's files are written): an ingest per model and
    kind, the history and the checks."""
    return len(spec.models) * 2 + 2


def build_demo(
    folder: Path,
    *,
    scenario: str = "demo",
    seed: int | None = None,
    scale: float = 1.0,
    fresh: bool = False,
    now: datetime,
    step: Step | None = None,
    run_checks: Callable[[Settings, Store, datetime], None] | None = None,
    you: str | None = None,
) -> DemoBuild:
    """Build the demo under ``folder``, or reuse it when it was built with the same
    scenario, seed and scale (unless ``fresh``). Only a folder the demo made (holding
    its marker, or its building marker) or an empty one is ever deleted."""
    started = time.perf_counter()
    spec = load_scenario(scenario)
    seed = spec.seed if seed is None else seed
    marker_path = folder / MARKER
    building_path = folder / DEMO_BUILDING
    wanted = _marker(scenario, seed, scale)
    config_path = folder / "oncall.yaml"
    if folder.exists() or folder.is_symlink():
        refuse_unless_demo(folder)
    half_built = building_path.exists()
    if half_built and not fresh:
        raise UsageError(
            f"the demo in {folder} was not finished building; "
            f"run `oncall demo --fresh --dir {folder}`"
        )
    if not fresh and marker_path.exists() and config_path.exists():
        try:
            found = json.loads(marker_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = {}
        if {k: found.get(k) for k in wanted} == wanted:
            return DemoBuild(
                folder,
                config_path,
                True,
                time.perf_counter() - started,
                datetime.fromisoformat(found["now"]),
            )
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # Written first, removed last: a build that was killed leaves it, and the config
    # beside it then says the demo is half-built instead of answering from a partial store.
    building_path.write_text(json.dumps({**wanted, "now": now.isoformat()}), encoding="utf-8")
    build_world_dir(
        spec, folder, seed=seed, scale=scale, now=now, step=step, run_checks=run_checks, you=you
    )
    marker_path.write_text(json.dumps({**wanted, "now": now.isoformat()}), encoding="utf-8")
    building_path.unlink()
    return DemoBuild(folder, config_path, False, time.perf_counter() - started, now)


def refuse_unless_demo(folder: Path) -> None:
    """UsageError unless ``folder`` is one the demo may delete: an empty folder, or one
    holding the demo's marker or its building marker."""
    if folder.is_dir() and not folder.is_symlink():
        if not any(folder.iterdir()):
            return
        if (folder / MARKER).is_file() or (folder / DEMO_BUILDING).is_file():
            return
    raise UsageError(
        f"{folder} is not a demo folder oncall made (no {MARKER}); choose another --dir",
        field="dir",
    )
