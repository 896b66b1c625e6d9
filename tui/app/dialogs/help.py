"""Help for the focused widget, built from its live bindings so it cannot drift."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    """What each key does right now: the bindings of the screen under this one that can
    be used at this moment, under a title in words ("Alert stream keys")."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("f1", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, where: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="dialog")
        self.where = where
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        for key, description, tooltip in self.rows:
            text = description + (f" — {tooltip}" if tooltip else "")
            table.add_row(key, text)
        with VerticalScroll(classes="dialog-box wide", id="help-box"):
            yield Label(self.where, id="help-title", classes="dialog-title")
            yield Static(table)
            yield Label(
                "Only the keys that do something now are listed · Esc closes this help",
                classes="dialog-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)
