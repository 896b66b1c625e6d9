"""What every pane shares: a typed way to reach the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical

if TYPE_CHECKING:
    from tui.app.main import OncallApp


class Pane(Vertical):
    """A pane of the console; `oncall` is the app with its store and settings."""

    @property
    def oncall(self) -> OncallApp:
        from tui.app.main import OncallApp

        assert isinstance(self.app, OncallApp)
        return self.app
