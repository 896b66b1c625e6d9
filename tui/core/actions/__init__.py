"""Actions people take on alerts: one typed Action, one door that performs it, and the
outbox that keeps it while the store is busy."""

from tui.core.actions.action import DONE_WORDS, Action, ActionKind
from tui.core.actions.door import flush, perform, perform_or_queue

__all__ = ["DONE_WORDS", "Action", "ActionKind", "flush", "perform", "perform_or_queue"]
