"""Actions people take on alerts: one typed Action, one door that performs it, and the
outbox that keeps it while the store is busy."""

# Loaded when first used: a command that only names an ActionKind need not import the
# door and, through it, the bug queue and the store.
from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.lazy import lazy_names

if TYPE_CHECKING:
    from tui.core.actions.action import DONE_WORDS, Action, ActionKind
    from tui.core.actions.door import flush, perform, perform_or_queue

_WHERE = {
    "DONE_WORDS": "action",
    "Action": "action",
    "ActionKind": "action",
    "flush": "door",
    "perform": "door",
    "perform_or_queue": "door",
}
__getattr__ = lazy_names(__name__, _WHERE)

__all__ = ["DONE_WORDS", "Action", "ActionKind", "flush", "perform", "perform_or_queue"]
