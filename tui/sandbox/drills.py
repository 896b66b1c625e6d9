"""Drills: a sandbox built from a scenario whose incidents the trainee has not seen;
they find each incident's model, feature or slice, and root cause with the normal
screens, and are scored against the scenario's answer key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.core.config.settings import load_config
from tui.core.errors import UsageError
from tui.core.monitor.run import run_checks_to_end
from tui.core.store.connection import Store
from tui.core.words import slice_text
from tui.core.work.bugs import ROOT_CAUSES
from tui.sandbox.demo import build_world_dir
from tui.sandbox.history import apply_decisions
from tui.sandbox.scenario import (
    IncidentSpec,
    ScenarioSpec,
    load_scenario,
    scenario_names,
)


def drill_names() -> list[str]:
    """The shipped drill scenarios."""
    return [n for n in scenario_names() if n.startswith("drill-")]


def build_drill(name: str, folder: Path, now: datetime) -> Path:
    """Build the drill's sandbox store under `folder` (checks run, no answers stored).
    A drill with past shifts (drill-tuning) gets them with the veterans' decisions: its
    task is to learn from that record, not to find the incidents unseen."""
    spec = load_scenario(name)
    history = bool(spec.shifts)
    config = build_world_dir(spec, folder, seed=spec.seed, scale=1.0, now=now, with_history=history)
    settings = load_config(config)
    store = Store(settings.store_path)
    run_checks_to_end(store, settings, now)
    if history:
        apply_decisions(store, settings, spec)
    return config


def brief(spec: ScenarioSpec) -> dict[str, Any]:
    """What the trainee is told: the world, how many incidents, what to report."""
    return {
        "scenario": spec.name,
        "description": spec.description.strip(),
        "days": spec.days,
        "models": {
            name: {"task": m.task, "slices": list(m.slices), "features": list(m.features)}
            for name, m in spec.models.items()
        },
        "incidents": len(spec.incidents),
        # A drill with a record of past shifts is a tuning drill: tune, keep every
        # incident the veterans acted on.
        "task": "tune" if spec.shifts else "find",
        "answer_format": {
            "model": "MODEL",
            "feature": "FEATURE (if one was hit)",
            "slice": {"COLUMN": "VALUE"},
            "root_cause": "|".join(ROOT_CAUSES),
        },
    }


@dataclass(frozen=True)
class Finding:
    """A trainee's answer: where the incident was and why."""

    model: str
    root_cause: str
    feature: str | None = None
    slice: dict[str, str] | None = None


def _key(inc: IncidentSpec) -> str:
    where = inc.feature or slice_text(inc.slice) or "the model"
    return f"{inc.model}: {where}, root cause {inc.root_cause}"


def _matches(inc: IncidentSpec, f: Finding) -> bool:
    """Model and root cause, and where: the feature or the slice it hit (either will do
    when it hit both); an incident on the whole model needs no place."""
    if f.model != inc.model or f.root_cause != inc.root_cause:
        return False
    if inc.feature is None and inc.slice is None:
        return True
    feature_ok = inc.feature is not None and f.feature == inc.feature
    slice_ok = inc.slice is not None and (f.slice or {}) == inc.slice
    return feature_ok or slice_ok


def score_drill(spec: ScenarioSpec, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Each planted incident counts as found when one answer names its model, its feature
    or its slice, and its root cause. After a miss, the right answer is shown."""
    findings = []
    for i, a in enumerate(answers, start=1):
        if not isinstance(a, dict) or "model" not in a or "root_cause" not in a:
            raise UsageError(f"answer {i}: expected an object with model and root_cause")
        if a["root_cause"] not in ROOT_CAUSES:
            raise UsageError(f"answer {i}: root_cause must be one of {', '.join(ROOT_CAUSES)}")
        findings.append(
            Finding(str(a["model"]), str(a["root_cause"]), a.get("feature"), a.get("slice"))
        )
    results = []
    used: set[int] = set()
    for inc in spec.incidents:
        hit = next((k for k, f in enumerate(findings) if k not in used and _matches(inc, f)), None)
        if hit is not None:
            used.add(hit)
        results.append(
            {
                "found": hit is not None,
                "title": inc.title if hit is not None else None,
                "answer": None if hit is not None else _key(inc),
            }
        )
    found = sum(1 for r in results if r["found"])
    return {
        "scenario": spec.name,
        "found": found,
        "incidents": len(spec.incidents),
        # A drill with a record of past shifts is a tuning drill: tune, keep every
        # incident the veterans acted on.
        "task": "tune" if spec.shifts else "find",
        "score": found / len(spec.incidents) if spec.incidents else None,
        "wrong_answers": len(findings) - len(used),
        "results": results,
    }
