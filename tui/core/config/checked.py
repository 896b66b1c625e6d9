"""Configs already checked, so a read-only command can skip checking them again.

Checking `oncall.yaml` means building its pydantic models: about a third of the
start-up of `oncall alerts list`, a command that needs only where the store is. After
a full check, the CLI remembers that these exact bytes (by SHA-256), read by this exact
code, name this store. The next command finds the memo, hashes the file again and uses
the store path without the models; any change to the file or to the config code misses
and the whole check runs (and says what is wrong) as before.

The memos are a cache in the user's cache folder (``$XDG_CACHE_HOME/oncall``, else
``~/.cache/oncall``), one small JSON file per config path, private to the user. One
that cannot be read, written or trusted is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tui import __version__
from tui.core.config.locate import DEMO_BUILDING

# A memo is a few hundred bytes; anything bigger is not ours and is not read.
_MAX_MEMO_BYTES = 64 * 1024


def memo_folder() -> Path:
    """Where the memos live: ``$XDG_CACHE_HOME/oncall/checked-configs``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oncall" / "checked-configs"


def _code_stamp() -> str:
    """The version and the config code's files (name, size, mtime): a change to how
    configs are checked makes every memo miss."""
    here = Path(__file__).parent
    parts = [__version__]
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            stat = (here / name).stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


@dataclass(frozen=True)
class Stamp:
    """A config file as read at one moment: its memo's file and the digest of its bytes,
    its path and the config code."""

    config: Path
    memo: Path
    digest: str


def stamp(config: Path) -> Stamp | None:
    """``config`` as it is now, or None if it cannot be read (the full check says why)."""
    try:
        resolved = config.resolve(strict=True)
        content = resolved.read_bytes()
    except (OSError, RuntimeError):
        return None
    digest = hashlib.sha256(content)
    digest.update(b"\0" + str(resolved).encode() + b"\0" + _code_stamp().encode())
    name = hashlib.sha256(str(resolved).encode()).hexdigest()[:32] + ".json"
    return Stamp(resolved, memo_folder() / name, digest.hexdigest())


def _memo(seen: Stamp | None) -> dict[str, object] | None:
    """The memo of these very bytes if they were checked before, else None (and None for
    a demo that is still building: the full check refuses it)."""
    if seen is None or (seen.config.parent / DEMO_BUILDING).exists():
        return None
    try:
        if seen.memo.stat().st_size > _MAX_MEMO_BYTES:
            return None
        data = json.loads(seen.memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("digest") != seen.digest:
        return None
    return data


def recall(seen: Stamp | None) -> Path | None:
    """The store path of the config if these very bytes were checked before, else None
    (and None for a demo that is still building: the full check refuses it)."""
    data = _memo(seen)
    if data is None or seen is None:
        return None
    store = data.get("store")
    if not isinstance(store, str) or not store:
        return None
    # Resolved now, as Settings.store_path resolves it: a link may point elsewhere since.
    path = Path(store)
    return path if path.is_absolute() else (seen.config.parent / path).resolve()


@dataclass(frozen=True)
class SurfaceBar:
    """The config's `alerting.surface` policy as remembered (the same three numbers)."""

    min_acted_share: float
    last: int
    min_episodes: int


def recall_surface(seen: Stamp | None) -> tuple[bool, SurfaceBar | None]:
    """Whether these very bytes were checked before and, if so, their surfacing policy
    (None where the config sets none): `alerts list` needs it, not the models."""
    data = _memo(seen)
    if data is None or "surface" not in data:
        return False, None
    bar = data["surface"]
    if bar is None:
        return True, None
    try:
        assert isinstance(bar, dict)
        return True, SurfaceBar(
            float(bar["min_acted_share"]), int(bar["last"]), int(bar["min_episodes"])
        )
    except (AssertionError, KeyError, TypeError, ValueError):
        return False, None


def remember(seen: Stamp | None, store: str, surface: SurfaceBar | None = None) -> None:
    """Note that the config as stamped (before it was checked) passed and names
    ``store`` (its `store:` value as written) and ``surface`` (its surfacing policy, if
    any). Quietly does nothing if the cache folder cannot be written."""
    if seen is None:
        return
    try:
        seen.memo.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = seen.memo.with_name(f".{seen.memo.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            bar = None if surface is None else asdict(surface)
            json.dump({"digest": seen.digest, "store": store, "surface": bar}, handle)
        os.replace(partial, seen.memo)
    except OSError:
        return
