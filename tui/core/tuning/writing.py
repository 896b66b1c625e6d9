"""Suggested thresholds written into `oncall.yaml`, keeping the user's comments, key
order and layout (a round-trip YAML editor), shown first as a unified diff.

Only a model's own keys are edited: a model that takes a value from the global
`checks:` gets its own `checks:` key instead, so one model's record never retunes
another. The edited text is validated as a config before it replaces the file, and
it replaces it whole (a temporary file renamed over it) or not at all.
"""

from __future__ import annotations

import difflib
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from tui.core.checks.distances import fixed_thresholds, wants_reference
from tui.core.config.settings import Settings, load_config
from tui.core.errors import ConfigError
from tui.core.tuning.suggest import Tuning


@dataclass(frozen=True)
class Edit:
    """One key set to one value."""

    path: tuple[str, ...]
    value: float

    @property
    def key(self) -> str:
        """The dotted key path."""
        return ".".join(self.path)


def edits_of(tunings: Sequence[Tuning], settings: Settings) -> list[Edit]:
    """The config edits that apply every changed suggestion. A drift warn that would
    pass its crit lifts the crit too (keeping their ratio); a model's own drift warn
    (tuned for the score) first pins the warn of each feature that shares it, so only
    the score's drift changes."""
    out: list[Edit] = []
    for t in tunings:
        if not t.changed or t.key is None or t.suggested is None or t.current is None:
            continue
        path = tuple(t.key.split("."))
        out.append(Edit(path, t.suggested))
        if t.kind not in ("drift", "score_drift"):
            continue
        model = settings.config.models[t.model]
        name = t.feature if t.kind == "drift" and t.feature is not None else "score"
        limits = fixed_thresholds(model, name)
        if limits.crit < t.suggested:
            ratio = limits.crit / t.current if t.current else 2.0
            out.append(Edit((*path[:-1], "crit"), round(t.suggested * max(ratio, 1.0), 6)))
        if t.kind == "score_drift":
            out += _pins(t.model, settings, out)
    return out


def _pins(model_name: str, settings: Settings, edits: Sequence[Edit]) -> list[Edit]:
    """Each feature's current drift warn, written as its own where it had none."""
    model = settings.config.models[model_name]
    written = {e.path for e in edits}
    pins = []
    for name, spec in model.features.items():
        path = ("models", model_name, "features", name, "drift", "warn")
        own = spec.drift.warn if spec.drift is not None else None
        if own is None and path not in written and not wants_reference(model, name):
            pins.append(Edit(path, fixed_thresholds(model, name).warn))
    return pins


def _yaml() -> YAML:
    y = YAML()  # round-trip: comments, order and flow style survive
    y.preserve_quotes = True
    y.width = 4096
    return y


def _set(doc: Any, path: tuple[str, ...], value: float) -> None:
    node = doc
    for part in path[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if child is None:
            child = CommentedMap()
            if hasattr(node, "fa") and node.fa.flow_style():
                child.fa.set_flow_style()
            node[part] = child
        node = child
    node[path[-1]] = value


def edited_text(path: Path, edits: Sequence[Edit]) -> tuple[str, str]:
    """The config's text before and after the edits."""
    before = path.read_text(encoding="utf-8")
    y = _yaml()
    doc = y.load(before)
    for e in edits:
        _set(doc, e.path, e.value)
    buffer = io.StringIO()
    y.dump(doc, buffer)
    return before, buffer.getvalue()


def diff(path: Path, before: str, after: str) -> str:
    """A unified diff of the config's text."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=str(path),
            tofile=str(path),
        )
    )


def write_config(path: Path, after: str) -> None:
    """Validate the edited text as a config and put it in place of `path` whole. A text
    that does not load raises ConfigError and leaves the file as it was."""
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tuning", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(after)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777)
        try:
            load_config(Path(tmp))
        except ConfigError as err:
            raise ConfigError(f"the tuned config would not load, nothing written: {err}") from err
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
