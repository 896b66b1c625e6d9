"""The bug queue: open bugs by priority, their history, edits in place."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from tui.app.dialogs import BugEdit, BugForm, Prompt
from tui.app.dialogs.bug_form import BugEdits, new_bug
from tui.app.gateway import run_store_job
from tui.app.messages import ActionDone, BugDetailLoaded, BugRequested, BugsLoaded
from tui.app.panes.base import Pane, changes_state
from tui.app.widgets.safe import shown
from tui.app.widgets.table import Table
from tui.core.actions import Action, ActionKind, perform_or_queue
from tui.core.errors import UsageError
from tui.core.words import slice_text, when
from tui.core.work import bugs as core

PRIORITY_STYLE = {"P0": "bold red", "P1": "red", "P2": "yellow", "P3": ""}


class BugQueue(Pane):
    """The shared queue: every engineer adds tickets and takes them."""

    HELP_TITLE = "Bug queue keys"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", tooltip="Status, priority, assignee, tags, cause, mitigation"),
        Binding("c", "comment", "Comment"),
        Binding("l", "link", "Link", tooltip="Link alert=ID, prediction=ID or bug=ID"),
        Binding("n", "new", "New bug"),
        Binding("s", "toggle_all", "All", tooltip="Show closed bugs too"),
    ]

    def __init__(self) -> None:
        super().__init__(id="bug-queue")
        self.bugs: list[core.Bug] = []
        self.show_all = False
        self.detail: core.BugDetail | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Table(id="bug-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="bug-detail"):
                yield Static("no bug selected", id="bug-facts")

    def on_mount(self) -> None:
        table = self.query_one("#bug-table", DataTable)
        widths = {"id": 4, "pri": 3, "status": 11, "model": 12, "title": 40, "assignee": 10}
        for label, width in widths.items():
            table.add_column(label, key=label, width=width)
        self.load()

    def load(self) -> None:
        app = self.oncall
        status = "all" if self.show_all else "open"
        run_store_job(
            self,
            "bugs",
            lambda: core.list_bugs(app.reader(), status),
            BugsLoaded,
            group="bugs",
            exclusive=True,
        )

    def on_bugs_loaded(self, message: BugsLoaded) -> None:
        message.stop()
        # Every store change reloads the queue; the table keeps the rows of the same
        # bugs, so the cursor and the scroll stay where the engineer left them.
        self.bugs = message.bugs
        self.query_one("#bug-table", Table).show_rows(
            [
                (
                    str(b.id),
                    (
                        str(b.id),
                        Text(b.priority, style=PRIORITY_STYLE[b.priority]),
                        b.status,
                        b.model,
                        b.title,
                        b.assignee or "—",
                    ),
                )
                for b in self.bugs
            ]
        )
        self.refresh_bindings()

    def on_bug_detail_loaded(self, message: BugDetailLoaded) -> None:
        message.stop()
        self.detail = message.bug
        self.render_detail()

    def selected_id(self) -> int | None:
        return self.cursor_id("bug-table")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "bug-table" or event.row_key.value is None:
            return
        bid = int(str(event.row_key.value))
        app = self.oncall
        run_store_job(
            self,
            f"bug #{bid}",
            lambda: core.show_bug(app.reader(), bid),
            BugDetailLoaded,
            group="bug-detail",
            exclusive=True,
        )

    def render_detail(self) -> None:
        if self.detail is None:
            return
        b = self.detail.bug
        text = Text()
        text.append(f"#{b.id} [{b.priority}] {b.title}\n", style="bold")
        text.append(
            f"{b.model} · {b.status} · assignee {b.assignee or '—'} · "
            f"reporter {b.reporter} · tags {', '.join(b.tags) or '—'}\n"
        )
        text.append(
            f"root cause {b.root_cause or '—'} · mitigation {b.mitigation or '—'}"
            f"{': ' + b.mitigation_note if b.mitigation_note else ''}\n"
        )
        if b.description:
            text.append(f"{b.description}\n")
        for link in self.detail.links:
            target = link.target if link.slice is None else slice_text(link.slice)
            window = (
                f" {when(link.window_start)}–{when(link.window_end)}" if link.window_start else ""
            )
            text.append(f"link: {link.kind} {target}{window}\n", style="dim")
        text.append("\nhistory\n", style="bold")
        for e in self.detail.events:
            text.append(f"{when(e.acted_at)} {e.actor} {e.action} {core.event_text(e)}\n")
        self.query_one("#bug-facts", Static).update(shown(text))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "comment", "link") and self.is_mounted and self.detail is None:
            return None
        return True

    def _done(self, label: str, job: Any) -> None:
        run_store_job(self, label, job, lambda _r: ActionDone(label), group="actions")

    @changes_state
    def action_edit(self) -> None:
        if self.detail is not None:
            self.app.push_screen(BugEdit(self.detail.bug), self._edit)

    def _edit(self, form: BugEdits | None) -> None:
        if form is None or self.detail is None:
            return
        session, bid = self.oncall.session, self.detail.bug.id
        action = Action.on_bug(
            ActionKind.BUG_EDIT,
            bid,
            session.actor,
            session.now(),
            changes=dict(form.changes),
            version=form.version,
        )
        self._queueable(f"edited bug #{bid}", action)

    def _queueable(self, label: str, action: Action) -> None:
        """Through the action door: applied now, or kept in the outbox while the store is
        busy and applied once, by the next flush."""
        session = self.oncall.session
        run_store_job(
            self,
            label,
            lambda: perform_or_queue(session, action),
            lambda applied: ActionDone(label, queued=not applied),
            group="actions",
        )

    @changes_state
    def action_comment(self) -> None:
        if self.detail is None:
            return
        bid = self.detail.bug.id
        self.app.push_screen(
            Prompt(f"Comment on bug #{bid}"),
            lambda text: None if not text or not text.strip() else self._comment(bid, text),
        )

    def _comment(self, bid: int, text: str) -> None:
        session = self.oncall.session
        action = Action.on_bug(ActionKind.BUG_COMMENT, bid, session.actor, session.now(), text)
        self._queueable(f"commented on bug #{bid}", action)

    @changes_state
    def action_link(self) -> None:
        if self.detail is None:
            return
        bid = self.detail.bug.id
        self.app.push_screen(
            Prompt(f"Link bug #{bid} to (alert=ID, prediction=ID or bug=ID)"),
            lambda text: None if not text else self._link(bid, text),
        )

    def _link(self, bid: int, text: str) -> None:
        app = self.oncall
        kind, _, target = text.partition("=")
        kind, target = kind.strip(), target.strip()
        # The prompt's kind names the link's keyword; ids of alerts and bugs are numbers.
        argument = {"alert": "alerts", "bug": "bugs", "prediction": "predictions"}.get(kind)

        def job() -> int:
            if argument is None or not target:
                raise UsageError("link takes alert=ID, prediction=ID or bug=ID")
            if argument != "predictions" and not target.isdigit():
                raise UsageError(f"{kind}= takes a number, got {target!r}")
            links: dict[str, Any] = {
                argument: [target if argument == "predictions" else int(target)]
            }
            return core.link(
                app.writer(), app.settings, bid, app.actor, app.current_time(), **links
            )

        self._done(f"link bug #{bid}", job)

    @changes_state
    def action_new(self) -> None:
        model = next(iter(self.oncall.settings.config.models))
        self.app.push_screen(BugForm({"model": model, "links_text": "no links"}), self._new)

    def _new(self, form: dict[str, Any] | None) -> None:
        if form is not None:
            self.post_message(BugRequested(new_bug(form)))

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.load()
