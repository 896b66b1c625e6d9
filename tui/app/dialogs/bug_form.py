"""The new-bug form (prefilled from where it was opened) and the bug editor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from tui.app.dialogs.prompt import field
from tui.core.words import visible
from tui.core.work.bugs import MITIGATIONS, PRIORITIES, ROOT_CAUSES, STATUSES, Bug, NewBug


@dataclass(frozen=True)
class BugEdits:
    """What the bug editor returns: the changes (`edit_bug`'s), and the version the form
    was filled from, so a change made meanwhile is refused rather than overwritten."""

    version: int
    changes: Mapping[str, Any]


def _select(options: tuple[str, ...], value: str | None, id_: str, what: str) -> Select[str]:
    """A pick-one field; when nothing is picked yet it says what it is for."""
    return Select(
        [(o, o) for o in options],
        value=value if value else Select.NULL,
        id=id_,
        allow_blank=True,
        prompt=what,
    )


class BugForm(ModalScreen[dict[str, Any] | None]):
    """File a bug. `prefill` carries what the place it was opened from knows: the model,
    a title, the alert or slice and window to link."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "File the bug"),
    ]

    def __init__(self, prefill: dict[str, Any]) -> None:
        super().__init__(classes="dialog")
        self.prefill = prefill

    def compose(self) -> ComposeResult:
        p = self.prefill
        with Vertical(classes="dialog-box wide"):
            yield Label(Text(visible(f"New bug on {p['model']}")), classes="dialog-title")
            yield field("Title", Input(p.get("title", ""), placeholder="title", id="bug-title"))
            yield field(
                "Description",
                Input(p.get("description", ""), placeholder="description", id="bug-description"),
            )
            with Horizontal(classes="form-row"):
                yield field(
                    "Priority",
                    _select(PRIORITIES, p.get("priority", "P2"), "bug-priority", "priority"),
                )
                yield field(
                    "Root cause",
                    _select(ROOT_CAUSES, p.get("root_cause"), "bug-root-cause", "root cause"),
                )
            yield Label(
                Text(visible(p.get("links_text", "no links"), lines=True)),
                id="bug-links",
                classes="dialog-hint",
            )
            with Horizontal(classes="form-row"):
                yield Button("File bug", variant="primary", id="bug-save")
                yield Button("Cancel", id="bug-cancel")

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        self.query_one("#bug-title", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bug-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        title = self.query_one("#bug-title", Input).value.strip()
        if not title:
            self.notify("a bug needs a title", severity="warning")
            return
        priority = self.query_one("#bug-priority", Select).value
        cause = self.query_one("#bug-root-cause", Select).value
        self.dismiss(
            {
                **self.prefill,
                "title": title,
                "description": self.query_one("#bug-description", Input).value,
                "priority": priority if isinstance(priority, str) else "P2",
                "root_cause": cause if isinstance(cause, str) else None,
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class BugEdit(ModalScreen[BugEdits | None]):
    """Edit a bug's status, priority, assignee, tags, root cause and mitigation in place.
    The result carries the version the form was filled from, so a change made meanwhile
    by someone else is refused as a conflict rather than overwritten."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, bug: Bug) -> None:
        super().__init__(classes="dialog")
        self.bug = bug

    def compose(self) -> ComposeResult:
        b = self.bug
        with Vertical(classes="dialog-box wide"):
            yield Label(Text(visible(f"Edit bug #{b.id}: {b.title}")), classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield field("Status", _select(STATUSES, b.status, "edit-status", "status"))
                yield field(
                    "Priority", _select(PRIORITIES, b.priority, "edit-priority", "priority")
                )
            yield field(
                "Assignee", Input(b.assignee or "", placeholder="assignee", id="edit-assignee")
            )
            yield field(
                "Tags",
                Input(", ".join(b.tags), placeholder="tags, comma-separated", id="edit-tags"),
            )
            with Horizontal(classes="form-row"):
                yield field(
                    "Root cause",
                    _select(ROOT_CAUSES, b.root_cause, "edit-root-cause", "root cause"),
                )
                yield field(
                    "Mitigation",
                    _select(MITIGATIONS, b.mitigation, "edit-mitigation", "mitigation"),
                )
            yield field(
                "Mitigation note",
                Input(
                    b.mitigation_note or "",
                    placeholder="mitigation note",
                    id="edit-mitigation-note",
                ),
            )
            with Horizontal(classes="form-row"):
                yield Button("Save", variant="primary", id="edit-save")
                yield Button("Cancel", id="edit-cancel")

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "edit-save":
            self.action_save()
        else:
            self.dismiss(None)

    def _value(self, id_: str) -> str | None:
        value = self.query_one(f"#{id_}", Select).value
        return value if isinstance(value, str) else None

    def action_save(self) -> None:
        tags = {
            t.strip() for t in self.query_one("#edit-tags", Input).value.split(",") if t.strip()
        }
        old = set(self.bug.tags)
        assignee = self.query_one("#edit-assignee", Input).value.strip() or None
        note = self.query_one("#edit-mitigation-note", Input).value.strip() or None
        self.dismiss(
            BugEdits(
                version=self.bug.version,
                changes={
                    "status": self._value("edit-status"),
                    "priority": self._value("edit-priority"),
                    "assignee": assignee,
                    "root_cause": self._value("edit-root-cause"),
                    "mitigation": self._value("edit-mitigation"),
                    "mitigation_note": note,
                    "add_tags": tuple(sorted(tags - old)),
                    "drop_tags": tuple(sorted(old - tags)),
                },
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


def new_bug(form: dict[str, Any]) -> NewBug:
    """A filled bug form as the bug to file, whichever pane opened it."""
    return NewBug(
        title=form["title"],
        model=form["model"],
        priority=form["priority"],
        description=form["description"],
        root_cause=form["root_cause"],
        alerts=tuple(form.get("alerts", ())),
        predictions=tuple(form.get("predictions", ())),
        where=tuple(form.get("where", ())),
        since=form.get("since"),
        until=form.get("until"),
    )
