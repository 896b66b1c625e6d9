"""The outbox: a user's action is never lost because the store was busy.

An action that cannot get the store's lock in time is appended to a local JSON-lines
file beside the store (fsynced, with an id the client made). The next time the store
can be written, each waiting action goes through the action door (`door.flush`), which
applies it in one transaction together with the record of its id in
`applied_actions`, so it takes effect exactly once even if the replay is interrupted
and repeated.

Every append and every rewrite holds an exclusive `flock` on a lock file beside the
outbox (never replaced, unlike the outbox, which is rewritten through a temporary file
and an atomic rename). A flush takes the lock only to read and, after applying, to
remove the ids it applied: it never holds it while it waits on the store, so the app
can keep appending, and whatever was appended meanwhile stays. A line that does not
parse is moved to a quarantine file beside the outbox, never dropped, never retried.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tui.core.actions.action import Action
from tui.core.store.connection import Store
from tui.core.store.files import outbox_path_for, private_files


def outbox_path(store: Store) -> Path:
    """The outbox file beside the store."""
    return outbox_path_for(store.path)


def quarantine_path(store: Store) -> Path:
    """Where outbox lines that could not be read are kept, beside the outbox."""
    return outbox_path(store).with_suffix(".quarantine")


def lock_path(store: Store) -> Path:
    """The lock file every outbox change holds (never renamed, so the lock is one)."""
    return outbox_path(store).with_suffix(".lock")


@contextmanager
def locked(store: Store, shared: bool = False) -> Iterator[Path]:
    """Hold the outbox lock (exclusive unless `shared`); yields the outbox path."""
    with private_files():
        fd = os.open(lock_path(store), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield outbox_path(store)
    finally:
        os.close(fd)  # closing releases the lock


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append(store: Store, action: Action) -> None:
    """Keep an action on disk until it can be applied (fsynced before returning)."""
    with locked(store) as path, private_files(), path.open("a+b") as handle:
        # A line torn by a crash mid-append must not swallow this one: start afresh.
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
        handle.write((action.to_json() + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


@dataclass(frozen=True)
class Taken:
    """What a flush read from the outbox: the actions, and the lines it quarantined."""

    actions: list[Action]
    quarantined: int
    quarantine: Path


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    raw = path.read_bytes().decode("utf-8", errors="surrogateescape")
    return [line for line in raw.splitlines() if line.strip()]


def _parse(lines: Iterable[str]) -> tuple[list[tuple[str, Action]], list[str]]:
    good: list[tuple[str, Action]] = []
    bad: list[str] = []
    for line in lines:
        try:
            good.append((line, Action.from_json(line)))
        except ValueError:
            bad.append(line)
    return good, bad


def _write(path: Path, lines: list[str]) -> None:
    """Replace the outbox with `lines` (none: remove it), atomically; lock held."""
    if not lines:
        if path.exists():
            path.unlink()
            _fsync_dir(path)
        return
    temp = path.with_suffix(".tmp")
    with private_files(), temp.open("wb") as handle:
        for line in lines:
            handle.write((line + "\n").encode("utf-8", errors="surrogateescape"))
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)
    _fsync_dir(path)


def _quarantine(store: Store, bad: list[str]) -> None:
    target = quarantine_path(store)
    with private_files(), target.open("ab") as handle:
        for line in bad:
            handle.write((line + "\n").encode("utf-8", errors="surrogateescape"))
        handle.flush()
        os.fsync(handle.fileno())


def take(store: Store) -> Taken:
    """The actions waiting, in order (each id once); a line that does not parse is moved
    to the quarantine file first. The actions stay in the outbox until `remove`."""
    if not outbox_path(store).exists():
        return Taken([], 0, quarantine_path(store))
    with locked(store) as path:
        good, bad = _parse(_lines(path))
        if bad:
            _quarantine(store, bad)
            _write(path, [line for line, _ in good])
    seen: set[str] = set()
    actions = []
    for _line, action in good:
        if action.action_id not in seen:
            seen.add(action.action_id)
            actions.append(action)
    return Taken(actions, len(bad), quarantine_path(store))


def remove(store: Store, action_ids: Iterable[str]) -> None:
    """Take out of the outbox the actions with these ids, and only them: whatever was
    appended since they were read stays."""
    gone = set(action_ids)
    if not gone or not outbox_path(store).exists():
        return
    with locked(store) as path:
        lines = _lines(path)
        keep = []
        for line in lines:
            try:
                if Action.from_json(line).action_id in gone:
                    continue
            except ValueError:
                pass  # quarantined by the next `take`
            keep.append(line)
        if len(keep) != len(lines):
            _write(path, keep)


def pending(store: Store) -> list[Action]:
    """The actions waiting in the outbox (lines that do not parse are left out)."""
    if not outbox_path(store).exists():
        return []
    with locked(store, shared=True) as path:
        good, _bad = _parse(_lines(path))
    return [action for _line, action in good]
