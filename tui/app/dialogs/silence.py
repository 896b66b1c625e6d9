"""The silence form: what to match, for how long and why, as `oncall alerts silence`
takes them (--match, --for, --note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tui.app.dialogs.prompt import field
from tui.core.config.times import parse_duration

DEFAULT_SILENCE = "8h"


@dataclass(frozen=True)
class SilenceAsked:
    """A filled silence form: the KEY=VALUE matchers, the duration and its words, a note."""

    matchers: tuple[str, ...]
    duration: timedelta
    duration_text: str
    note: str


class SilenceForm(ModalScreen[SilenceAsked | None]):
    """Silence alerts like the selected one: matchers prefilled, a duration (8h unless
    changed) and a note; a duration that does not read is said in the form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Silence"),
    ]

    def __init__(self, matchers: str) -> None:
        super().__init__(classes="dialog")
        self.matchers = matchers

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label("Silence alerts like this one", classes="dialog-title")
            yield field(
                "Match (KEY=VALUE …, all must match)",
                Input(self.matchers, id="silence-match"),
            )
            yield field(
                "For (30m, 8h, 2d)",
                Input(DEFAULT_SILENCE, placeholder=DEFAULT_SILENCE, id="silence-for"),
            )
            yield field("Note (why)", Input("", placeholder="optional", id="silence-note"))
            yield Label("", id="silence-error", classes="dialog-error hidden")
            with Horizontal(classes="form-row"):
                yield Button("Silence", variant="primary", id="silence-save")
                yield Button("Cancel", id="silence-cancel")
            yield Label("Enter or ctrl+s to silence · Esc to cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        self.query_one("#silence-for", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "silence-save":
            self.action_save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def _refuse(self, message: str) -> None:
        error = self.query_one("#silence-error", Label)
        error.update(message)
        error.remove_class("hidden")

    def action_save(self) -> None:
        pairs = tuple(self.query_one("#silence-match", Input).value.split())
        if not pairs:
            self._refuse("Match: a silence needs at least one KEY=VALUE")
            return
        text = self.query_one("#silence-for", Input).value.strip() or DEFAULT_SILENCE
        try:
            duration = parse_duration(text)
        except ValueError as exc:
            self._refuse(f"For: {exc}")
            return
        note = self.query_one("#silence-note", Input).value.strip()
        self.dismiss(SilenceAsked(pairs, duration, text, note))

    def action_cancel(self) -> None:
        self.dismiss(None)
