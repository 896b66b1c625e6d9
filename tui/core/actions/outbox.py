"""The outbox: a user's action is never lost because the store was busy.

An action that cannot get the store's lock in time is appended to a local JSON-lines
file beside the store (fsynced, with an id the client made). The next time the store
can be written, each waiting action goes through the action door (`door.flush`), which
applies it in one transaction together with the record of its id in
`applied_actions`, so it takes effect exactly once even if the replay is interrupted
and repeated.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui.core.actions.action import Action
from tui.core.store.connection import Store


def outbox_path(store: Store) -> Path:
    """The outbox file beside the store."""
    return store.path.with_name(f".{store.path.name}.outbox.jsonl")


def append(store: Store, action: Action) -> None:
    """Keep an action on disk until it can be applied (fsynced before returning)."""
    path = outbox_path(store)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(action.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def pending(store: Store) -> list[Action]:
    """The actions waiting in the outbox (applied ones may linger until the next flush)."""
    path = outbox_path(store)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(Action.from_json(line))
    return out


def rewrite(store: Store, keep: list[Action]) -> None:
    """Replace the outbox with the actions still waiting (none: remove the file)."""
    path = outbox_path(store)
    if not keep:
        path.unlink(missing_ok=True)
        return
    temp = path.with_suffix(".tmp")
    with temp.open("w", encoding="utf-8") as handle:
        for action in keep:
            handle.write(action.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)
