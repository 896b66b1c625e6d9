"""The session: who acts, on which store, under which settings, at what time.

Both faces hold one: the command line builds it from its global options, the app
when it starts (and moves its clock for a replay). Core calls take what they need
from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from tui.core.config.times import Clock
from tui.core.store.connection import Store

# Types only: the config's models (pydantic) load only where a config is validated,
# so `alerts list` starts without them.
if TYPE_CHECKING:
    from tui.core.config.settings import Settings


@dataclass(frozen=True)
class Session:
    """Settings, store, actor and clock of one person's use of the tool."""

    settings: Settings
    store: Store
    actor: str
    clock: Clock

    def __post_init__(self) -> None:
        # Names compare case-insensitively: `--as Bob` acts as the roster's `bob`, and
        # is recorded so.
        object.__setattr__(self, "actor", self.settings.canonical_name(self.actor))

    def now(self) -> datetime:
        """The session's "now"."""
        return self.clock.now()

    def at(self, moment: datetime) -> Session:
        """The same session with its clock stopped at `moment` (a replay)."""
        return replace(self, clock=Clock.at(moment))

    def with_clock(self, clock: Clock) -> Session:
        """The same session on another clock."""
        return replace(self, clock=clock)
