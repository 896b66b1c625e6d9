"""The Textual application (grows with the app issue)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Static

from tui.core.config import Settings


class OncallApp(App[None]):
    """The on-call console."""

    TITLE = "oncall"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, settings: Settings, actor: str, now_text: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.actor = actor
        self.now_text = now_text

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"store: {self.settings.store_path}")
        yield Footer()
