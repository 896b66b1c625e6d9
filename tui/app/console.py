"""What a pane may ask of the app it lives in, as a Protocol, so panes never import the
app module (which imports them)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tui.core.config.settings import Settings
from tui.core.session import Session
from tui.core.store.connection import Store


class Console(Protocol):
    """The app as its panes see it: the session, the two stores and the clock."""

    session: Session

    @property
    def settings(self) -> Settings: ...

    @property
    def actor(self) -> str: ...

    def reader(self) -> Store:
        """The store for reads (short deadline; Esc interrupts them)."""
        ...

    def writer(self) -> Store:
        """The store for writes (busy writes go to the outbox)."""
        ...

    def current_time(self) -> datetime:
        """Now, by the session's clock."""
        ...
