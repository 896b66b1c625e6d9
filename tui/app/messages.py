"""Messages the app's workers post back, named for what happened (past tense)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StoreWaited(Message):
    """A worker started waiting on the store for something."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class StoreAnswered(Message):
    """A worker's store access finished (well or not)."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class StoreWasBusy(Message):
    """Another process held the store past the app's short deadline."""

    def __init__(self, what: str, holder_pid: int | None) -> None:
        super().__init__()
        self.what = what
        self.holder_pid = holder_pid


class QueryFailed(Message):
    """A store access failed; the message says why, for a notification."""

    def __init__(self, what: str, error: str, title: str = "error") -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.title = title


class Loaded(Message):
    """Data a pane asked for arrived: `kind` names it, `data` carries it."""

    def __init__(self, kind: str, data: Any) -> None:
        super().__init__()
        self.kind = kind
        self.data = data


class ActionDone(Message):
    """A person's action was applied (or, with `queued`, kept in the outbox)."""

    def __init__(self, description: str, queued: bool = False) -> None:
        super().__init__()
        self.description = description
        self.queued = queued


class StoreChanged(Message):
    """Something was written; panes re-read what they show."""
