"""The on-call console: alert stream, bug queue, slice explorer and label delay.

Every store access runs in a thread worker with its own short-lived connection and
reports back with a message; the event loop never waits on the store. The app polls
the store's change counter on a one-shot timer (scheduled again only after the last
poll finished, so a slow store cannot pile polls up) and re-reads only when it moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane
from textual.worker import Worker

from tui.app.dialogs import HelpScreen
from tui.app.gateway import run_store_job
from tui.app.heap import IDLE_SECONDS, QuietCollector
from tui.app.messages import (
    ActionDone,
    BugRequested,
    ChangesPolled,
    DrillRequested,
    Polled,
    QueryFailed,
    ShiftLoaded,
    StoreAnswered,
    StoreChanged,
    StoreWaited,
    StoreWasBusy,
)
from tui.app.panes import AlertStream, BugQueue, LabelDelay, ShiftReplay, SliceExplorer
from tui.app.panes.base import Pane
from tui.app.panes.tuning import TuningView
from tui.app.widgets import KeyBar, StatusLine
from tui.core.actions import Action, flush, outbox
from tui.core.config.settings import Settings
from tui.core.config.times import Clock
from tui.core.errors import OncallError, StoreBusyError
from tui.core.session import Session
from tui.core.store.connection import APP_TIMEOUT, Store
from tui.core.words import visible
from tui.core.work.bugs import file_bug
from tui.core.work.shifts import current_shifts

W = TypeVar("W", bound=Widget)

POLL_SECONDS = 3.0
POLL_GROUP = "poll"
TABS = (
    ("alerts", "Alerts", AlertStream),
    ("bugs", "Bugs", BugQueue),
    ("slices", "Slices", SliceExplorer),
    ("labels", "Labels", LabelDelay),
    ("shadow", "Shadow", ShiftReplay),
    ("tuning", "Tuning", TuningView),
)


class OncallApp(App[None]):
    """The on-call console."""

    TITLE = "oncall"
    CSS_PATH = "oncall.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # The tab labels already say their number keys, so the key bar leaves them out.
        Binding("1", "show('alerts')", "Alerts", show=False, tooltip="The alert stream"),
        Binding("2", "show('bugs')", "Bugs", show=False, tooltip="The bug queue"),
        Binding(
            "3", "show('slices')", "Slices", show=False, tooltip="Metrics per slice, rows behind"
        ),
        Binding("4", "show('labels')", "Labels", show=False, tooltip="Label delay and coverage"),
        Binding(
            "5", "show('shadow')", "Shadow", show=False, tooltip="Replay a past shift and be scored"
        ),
        Binding("6", "show('tuning')", "Tuning", show=False, tooltip="Thresholds back-tested"),
        Binding("ctrl+n", "back_to_now", "Now", show=False, tooltip="Back to the present"),
        Binding("f1", "help", "Help", tooltip="Keys of the focused part, live"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, tooltip="Light or dark"),
        Binding("escape", "cancel", "Cancel", show=False, tooltip="Cancel running queries"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, session: Session, poll: bool = True, poll_seconds: float = POLL_SECONDS
    ) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds
        # Writes go through the session's store; reads through a second one, so that
        # Esc can interrupt a read without touching a write in flight.
        self.session = session
        self.live_clock = session.clock  # what ctrl+n returns to after a replay
        self.poll_enabled = poll
        self._reader = Store(session.settings.store_path, timeout=APP_TIMEOUT)
        self.changes: int | None = None
        self.waiting: dict[str, int] = {}
        self.heap = QuietCollector()

    @classmethod
    def open(
        cls,
        settings: Settings,
        actor: str,
        now_text: str | datetime | None = None,
        poll: bool = True,
        poll_seconds: float = POLL_SECONDS,
    ) -> OncallApp:
        """The app for `actor` on the configured store, "now" as given (else the clock)."""
        store = Store(settings.store_path, timeout=APP_TIMEOUT)
        return cls(Session(settings, store, actor, Clock.from_text(now_text)), poll, poll_seconds)

    @property
    def settings(self) -> Settings:
        """The configuration the app runs on."""
        return self.session.settings

    @property
    def actor(self) -> str:
        """Who acts."""
        return self.session.actor

    # ------------------------------------------------------------ store access

    def reader(self) -> Store:
        """The store for reads: a short deadline, so a busy store is said, not waited on."""
        return self._reader

    def writer(self) -> Store:
        """The store for writes (same short deadline; busy writes go to the outbox)."""
        return self.session.store

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification, as plain text: messages carry user values (slices, titles,
        errors quoting input) that must not be read as markup, nor reach the terminal
        raw (control characters shown escaped)."""
        message, title = visible(message, lines=True), visible(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def current_time(self) -> datetime:
        """Now, by the session's clock (fixed by `--now` or a replay, else live)."""
        return self.session.now()

    def home_widget(self, kind: type[W]) -> W | None:
        """The main screen's one `kind` widget, or None once the app is closing: a
        worker can answer after the screen's widgets are gone, and its report must
        then be dropped, not crash the app on its way out."""
        found = self.query(kind)
        return found.first() if found else None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        status = StatusLine(id="status")
        status.store = shown_path(self.settings.store_path)
        role = self.settings.role_of(self.actor) or "not on the roster"
        status.user = f"{self.actor} ({role})"
        status.read_only = self.settings.read_only
        status.now = f"{self.current_time():%Y-%m-%d %H:%M} UTC"
        yield status
        with TabbedContent(id="tabs"):
            for tab_id, title, pane in TABS:
                with TabPane(f"{title} {TABS.index((tab_id, title, pane)) + 1}", id=tab_id):
                    yield pane()
        yield KeyBar(id="keys")

    def on_unmount(self) -> None:
        self.heap.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.heap.touched()
        await super().on_event(event)

    def on_resize(self) -> None:
        self.screen.set_class(self.size.width < 110, "narrow")

    def on_mount(self) -> None:
        self.screen.set_class(self.size.width < 110, "narrow")
        # Full garbage collections wait for a quiet moment (see tui/app/heap.py).
        self.heap.start()
        self.set_interval(IDLE_SECONDS, self.heap.collect_if_quiet)
        self.sub_title = shown_path(self.settings.path.parent)
        if self.poll_enabled:
            self.set_timer(self.poll_seconds, self.poll)
        self.load_shift()
        self.query_one("#alert-table").focus()

    # ------------------------------------------------------------ polling

    def poll(self) -> None:
        """Apply waiting outbox actions, read the change counter. The next poll is
        scheduled when this one's worker has finished, however it finished."""

        def refused(action: Action, exc: OncallError) -> None:
            self.post_message(QueryFailed(f"pending {action.kind} {action.target}", exc.message))

        def unreadable(count: int, path: Path) -> None:
            self.post_message(QueryFailed("outbox", unreadable_text(count, path), "kept aside"))

        def job() -> Polled:
            # Whatever goes wrong with the outbox is said, and the poll goes on.
            try:
                applied = flush(self.session, on_error=refused, on_quarantine=unreadable)
            except Exception as exc:
                applied = 0
                self.post_message(QueryFailed("pending actions", f"{type(exc).__name__}: {exc}"))
            try:
                changes, holder = self._reader.changes(), None
            except StoreBusyError as exc:
                changes, holder = None, exc.holder_pid or 0
            # Counted last, so an action queued while this poll waited is not missed.
            try:
                waiting = len(outbox.pending(self.session.store))
            except OSError:
                waiting = 0
            return Polled(changes, applied, waiting, holder)

        run_store_job(self, "changes", job, ChangesPolled, group=POLL_GROUP, exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # One-shot timer: the next poll once this one is over, whether it answered,
        # failed, or was interrupted (Esc interrupts reads, the poll's included).
        if event.worker.group == POLL_GROUP and event.worker.is_finished and self.poll_enabled:
            self.set_timer(self.poll_seconds, self.poll)

    def on_changes_polled(self, message: ChangesPolled) -> None:
        polled = message.polled
        status = self.home_widget(StatusLine)
        if status is None:
            return  # a poll that answered as the app closed (its screen already gone)
        status.pending = polled.pending
        if polled.holder is not None:
            who = f"PID {polled.holder}" if polled.holder else "another process"
            status.busy = f"store busy ({who}); retrying"
            return
        status.busy = ""
        if polled.applied:
            self.notify(f"{polled.applied} pending action(s) applied")
        if self.changes is not None and polled.changes != self.changes:
            self.post_message(StoreChanged())
        self.changes = polled.changes

    def on_shift_loaded(self, message: ShiftLoaded) -> None:
        if (status := self.home_widget(StatusLine)) is not None:
            status.shift = message.text

    def load_shift(self) -> None:
        def job() -> str:
            shifts = current_shifts(self._reader)
            primary = next((s for s in shifts if s.role == "primary"), None)
            if primary is None:
                return "no shift open"
            shadows = [s.engineer for s in shifts if s.role == "shadow"]
            text = f"shift {primary.id}: {primary.engineer} primary"
            return text + (f", {', '.join(shadows)} shadowing" if shadows else "")

        run_store_job(self, "shift", job, ShiftLoaded, group="shift")

    def on_store_changed(self, _message: StoreChanged) -> None:
        alerts, bugs = self.home_widget(AlertStream), self.home_widget(BugQueue)
        replay = self.home_widget(ShiftReplay)
        if alerts is None or bugs is None or replay is None:
            return
        alerts.load()
        bugs.load()
        self.load_shift()
        if replay.following is not None:
            replay.action_follow()  # new alerts and the primary's actions, as they happen

    # ------------------------------------------------------------ worker reports

    def on_store_waited(self, message: StoreWaited) -> None:
        self.waiting[message.what] = self.waiting.get(message.what, 0) + 1
        if (status := self.home_widget(StatusLine)) is not None:
            status.waiting = message.what

    def on_store_answered(self, message: StoreAnswered) -> None:
        count = self.waiting.get(message.what, 1) - 1
        if count <= 0:
            self.waiting.pop(message.what, None)
        else:
            self.waiting[message.what] = count
        if (status := self.home_widget(StatusLine)) is not None:
            status.waiting = next(iter(self.waiting), "")

    def on_store_was_busy(self, message: StoreWasBusy) -> None:
        who = f"PID {message.holder_pid}" if message.holder_pid else "another process"
        if (status := self.home_widget(StatusLine)) is not None:
            status.busy = f"store busy ({who}); retrying"

    def on_query_failed(self, message: QueryFailed) -> None:
        self.notify(
            message.error, title=f"{message.title}: {message.what}", severity="error", timeout=8
        )

    def on_action_done(self, message: ActionDone) -> None:
        status = self.home_widget(StatusLine)
        if status is None:
            return
        if message.queued:
            status.pending += 1
            self.notify(
                f"{message.description}: the store is busy; kept as pending and "
                "applied when it frees",
                severity="warning",
            )
        else:
            self.notify(message.description)
        self.post_message(StoreChanged())

    # ------------------------------------------------------------ actions

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id
        if pane_id == "slices":
            self.query_one(SliceExplorer).first_show()
        elif pane_id == "labels":
            self.query_one(LabelDelay).first_show()
        elif pane_id == "shadow":
            self.query_one(ShiftReplay).first_show()
        elif pane_id == "tuning":
            self.query_one(TuningView).first_show()

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        # Focus into the pane so its keys apply: its first table, else anything focusable.
        tables = [w for w in pane.query("DataTable") if w.display]
        focusable = tables or [w for w in pane.query("*") if w.focusable and w.display]
        if focusable:
            focusable[0].focus()

    def action_help(self) -> None:
        """The keys that do something now where the focus is, titled in words."""
        focused = self.focused
        where = "App keys"
        for node in focused.ancestors_with_self if focused is not None else []:
            if isinstance(node, Pane):
                where = node.HELP_TITLE
                break
        # One row per action, its keys together ("home / g"); a key that does nothing
        # now is left out.
        keys: dict[str, list[str]] = {}
        about: dict[str, tuple[str, str]] = {}
        for key, active in self.screen.active_bindings.items():
            if not active.enabled:
                continue
            binding = active.binding
            keys.setdefault(binding.action, []).append(self.get_key_display(binding) or key)
            about.setdefault(
                binding.action, (binding.description or binding.action, binding.tooltip)
            )
        rows = [(" / ".join(keys[a]), *about[a]) for a in keys]
        self.push_screen(HelpScreen(where, rows))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_cancel(self) -> None:
        running = [w for w in self.workers if w.group != POLL_GROUP and not w.is_finished]
        for worker in running:
            worker.cancel()
        self._reader.interrupt()  # stops the DuckDB work itself, not only the result
        if running:
            self.notify(
                f"cancelled {len(running)} running quer{'y' if len(running) == 1 else 'ies'}"
            )

    def on_drill_requested(self, message: DrillRequested) -> None:
        """From an alert to its model, slice and window in the slice explorer, rows shown.
        With `as_of` (a replayed alert), "now" is set to that moment, so the labels and
        results seen are those known then (ctrl+n returns to the present)."""
        target = message.target
        if message.as_of is not None:
            self.session = self.session.at(message.as_of)
            if (status := self.home_widget(StatusLine)) is not None:
                status.now = f"{self.current_time():%Y-%m-%d %H:%M} UTC (replay)"
        self.query_one(TabbedContent).active = "slices"
        if target.alert_id is not None:
            # The alert's own terms: its metric, episode and offending rows (core's drill).
            self.query_one(SliceExplorer).show_alert(target.alert_id)
            return
        start = target.first_seen - timedelta(hours=6)
        end = target.last_seen + timedelta(hours=1)
        self.query_one(SliceExplorer).show_for(
            target.model, target.slice, target.feature, start, end
        )

    def on_bug_requested(self, message: BugRequested) -> None:
        """File a bug from any pane's form, in one worker."""
        session, bug = self.session, message.bug

        def job() -> int:
            return file_bug(session.store, session.settings, bug, session.actor, session.now())

        run_store_job(
            self, "file bug", job, lambda bid: ActionDone(f"filed bug #{bid}"), group="actions"
        )

    def action_back_to_now(self) -> None:
        if self.session.clock != self.live_clock:
            self.session = self.session.with_clock(self.live_clock)
            if (status := self.home_widget(StatusLine)) is not None:
                status.now = f"{self.current_time():%Y-%m-%d %H:%M} UTC"

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette offers the screens and every action of the current pane."""
        yield from super().get_system_commands(screen)
        for tab_id, title, _pane in TABS:
            yield SystemCommand(
                f"Go to {title}",
                f"Show the {title.lower()} screen",
                lambda t=tab_id: self.action_show(t),
            )
        tabs = self.query(TabbedContent)
        if not tabs:
            return
        active = tabs.first().active
        pane_cls = next((p for t, _, p in TABS if t == active), None)
        if pane_cls is None:
            return
        pane = self.query_one(pane_cls)
        for binding in pane_cls.BINDINGS:
            if not isinstance(binding, Binding):
                continue
            action = binding.action

            def run(action: str = action, pane: Any = pane) -> None:
                self.call_later(pane.run_action, action)

            yield SystemCommand(
                f"{title_of(active)}: {binding.description}",
                binding.tooltip or binding.description,
                run,
            )


def unreadable_text(count: int, path: Path) -> str:
    """What the app says of outbox lines it could not read and set aside."""
    many = "s" if count != 1 else ""
    return f"{count} queued action{many} could not be read; kept in {path}"


def title_of(tab: str) -> str:
    return next(title for t, title, _ in TABS if t == tab)


def shown_path(path: Path) -> str:
    """A path as short as it can be shown: relative to here when below it, else with ~."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        home = str(Path.home())
        text = str(path)
        return "~" + text[len(home) :] if text.startswith(home + "/") else text
