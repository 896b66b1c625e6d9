"""A one-line text prompt, a yes/no question and a pick-one list, as modal screens."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option


def field(label: str, widget: Widget) -> Vertical:
    """A form field: its label above it, so a filled field still says what it is."""
    return Vertical(Label(label, classes="field-label"), widget, classes="field")


class Prompt(ModalScreen[str | None]):
    """Ask for a line of text; Enter answers, Esc cancels (None). With `required`, an
    empty answer is not taken: the dialog stays and says what is missing."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        placeholder: str = "",
        *,
        label: str = "Text",
        required: str | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.value, self.placeholder = title, value, placeholder
        self.label, self.required = label, required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield field(
                self.label, Input(self.value, placeholder=self.placeholder, id="prompt-input")
            )
            yield Label("", id="prompt-error", classes="dialog-error hidden")
            yield Label("Enter to confirm · Esc to cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.required and not event.value.strip():
            error = self.query_one("#prompt-error", Label)
            error.update(self.required)
            error.remove_class("hidden")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question about a change; y or Enter on Yes confirms, n or Esc declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__(classes="dialog")
        self.question, self.detail = question, detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Label(self.detail, id="confirm-detail")
            with Horizontal(classes="form-row"):
                yield Button("Yes", variant="primary", id="confirm-yes")
                yield Button("No", id="confirm-no")
            yield Label("y yes · n or Esc no", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Choice(ModalScreen[str | None]):
    """Pick one of a few options; Esc cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(
                *[Option(label, id=value) for value, label in self.options], id="choice-list"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
