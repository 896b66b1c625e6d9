"""The alert stream: what is firing, ranked by how often its type was acted on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Static

from tui.app.dialogs import BugForm, Choice, Confirm, Prompt, SilenceAsked, SilenceForm
from tui.app.dialogs.bug_form import new_bug
from tui.app.gateway import run_store_job
from tui.app.messages import (
    ActionDone,
    AlertDetailLoaded,
    AlertsLoaded,
    BugRequested,
    DrillRequested,
    DrillTarget,
)
from tui.app.panes.base import Pane, changes_state
from tui.app.widgets.plot import Series, SeriesPlot
from tui.app.widgets.safe import shown
from tui.app.widgets.table import Table
from tui.core import alerts as core
from tui.core.actions import DONE_WORDS, Action, ActionKind, perform_or_queue
from tui.core.alerts import Alert, AlertDetail
from tui.core.tuning.lead import LeadCache, LeadIndicator
from tui.core.tuning.surfacing import read_digest
from tui.core.words import facts as detail_facts
from tui.core.words import pct, slice_pairs, what, when

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow"}
STATUS_STYLE = {
    "firing": "bold",
    "acked": "",
    "snoozed": "dim",
    "silenced": "dim italic",
    "resolved": "dim",
    "retracted": "dim strike",
}
GROUPS = (None, "model", "kind")
# The column a group's header shows its value in (model or kind).
GROUP_COLUMN = {"model": 3, "kind": 4}
SNOOZES = [
    ("30", "30 minutes"),
    ("60", "1 hour"),
    ("120", "2 hours"),
    ("240", "4 hours"),
    ("1440", "1 day"),
]


FILTER_FIELDS = ("model", "kind", "status", "severity", "feature")


def _matches(a: Alert, text: str) -> bool:
    """`model=fraud kind=drift status=acked` filters by field; other words match anywhere."""
    about = " ".join((a.model, a.kind, what(a.feature, a.slice), a.status)).lower()
    for token in text.split():
        key, sep, value = token.partition("=")
        if sep and key in FILTER_FIELDS:
            if str(getattr(a, key)) != value:
                return False
        elif token.lower() not in about:
            return False
    return True


class AlertStream(Pane):
    """Firing alerts first, then acked and snoozed ones, by severity and actionability."""

    HELP_TITLE = "Alert stream keys"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "ack", "Ack", tooltip="Acknowledge the alert, with an optional note"),
        Binding("z", "snooze", "Snooze", tooltip="Hide it for a while (presets)"),
        Binding("x", "silence", "Silence", tooltip="Silence alerts like it (matcher prefilled)"),
        Binding("r", "resolve", "Resolve", tooltip="Resolve by hand (asks first)"),
        Binding("n", "note", "Note", tooltip="Add a note to its history"),
        Binding("m", "noise", "Noise", tooltip="Mark as noise, with a reason"),
        Binding("M", "actionable", "Actionable", tooltip="Mark as actionable"),
        Binding("b", "file_bug", "Bug", tooltip="File a bug linked to this alert"),
        Binding("enter", "drill", "Slices", tooltip="Open its slice, window and examples"),
        Binding(
            "v",
            "group",
            "Group",
            tooltip="Group under headers by model, then kind, then none (g jumps to the top)",
        ),
        Binding("y", "copy", "Copy", tooltip="Copy the alert as text"),
        Binding("slash", "filter", "Filter", tooltip="Filter by text or model=, kind=, status="),
        Binding("s", "toggle_all", "All", tooltip="Show silenced, resolved and retracted too"),
        Binding("d", "toggle_digest", "Digest", tooltip="The alerts held back by alerting.surface"),
        Binding("escape", "close_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="alert-stream")
        self.alerts: list[Alert] = []
        self.seen: set[int] | None = None
        self.new_ids: set[int] = set()
        self.group = 0
        self.show_all = False
        self.filter_text = ""
        self.detail: AlertDetail | None = None
        self.held: frozenset[int] = frozenset()
        self.leads: dict[tuple[str, str, str | None], LeadIndicator] = {}
        self.lead_cache = LeadCache()
        self.show_digest = False

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="filter: text, model=…, kind=…, status=…",
            id="alert-filter",
            classes="hidden",
        )
        with Horizontal(id="alert-body"):
            table: Table = Table(id="alert-table", cursor_type="row", zebra_stripes=True)
            yield table
            with VerticalScroll(id="alert-detail"):
                yield Static("no alert selected", id="alert-title")
                yield SeriesPlot(id="alert-plot")
                yield SeriesPlot(id="alert-drift", classes="hidden")
                yield Static("", id="alert-facts")

    def on_mount(self) -> None:
        table = self.query_one("#alert-table", DataTable)
        # Fixed widths: auto-sized columns are measured whenever the rows happen to arrive,
        # so the same data could lay out differently from one run to the next.
        for label, key, width in (
            ("id", "id", 4),
            ("status", "status", 10),
            ("sev", "sev", 4),
            ("model", "model", 13),
            ("kind", "kind", 12),
            ("feature/slice", "what", 22),
            ("since", "since", 11),
            ("n", "n", 4),
            ("act", "act", 4),
        ):
            table.add_column(label, key=key, width=width)
        self.query_one("#alert-filter", Input).cursor_blink = False
        self.load()

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        """Read the alerts (in a worker)."""
        app = self.oncall
        status = "all" if self.show_all else "active"
        policy = app.settings.config.alerting.surface

        def job() -> AlertsLoaded:
            at = app.current_time()
            alerts = core.list_alerts(app.reader(), at, status=status)
            held = read_digest(app.reader(), policy, at).held_ids
            leads = self.lead_cache.get(app.reader())
            return AlertsLoaded(alerts, held, leads)

        run_store_job(self, "alerts", job, lambda m: m, group="alerts", exclusive=True)

    def on_alerts_loaded(self, message: AlertsLoaded) -> None:
        message.stop()
        ids = {a.id for a in message.alerts}
        if self.seen is not None:
            self.new_ids = ids - self.seen
        self.seen = ids if self.seen is None else self.seen | ids
        self.alerts = message.alerts
        self.held = message.held
        self.leads = message.leads
        self.render_table()

    def on_alert_detail_loaded(self, message: AlertDetailLoaded) -> None:
        message.stop()
        self.detail = message.detail
        self.render_detail()

    def shown_alerts(self) -> list[Alert]:
        """The alerts the table shows: filtered, grouped if asked, ranked inside."""
        rows = [a for a in self.alerts if not self.filter_text or _matches(a, self.filter_text)]
        # The surfacing policy's digest: held types wait there, one key away.
        rows = [a for a in rows if (a.id in self.held) == self.show_digest]
        key = GROUPS[self.group]
        if key:
            # sorted() is stable: the ranking holds inside each group.
            rows = sorted(rows, key=lambda a: str(getattr(a, key)))
        return rows

    def render_table(self) -> None:
        """Show the filtered alerts, under a header per group when grouped; the table
        redraws only when they changed, and the cursor stays on its alert."""
        key = GROUPS[self.group]
        alerts = self.shown_alerts()
        counts: dict[str, int] = {}
        for a in alerts:
            if key:
                counts[str(getattr(a, key))] = counts.get(str(getattr(a, key)), 0) + 1
        rows: list[tuple[str, Sequence[Any]]] = []
        group: str | None = None
        for a in alerts:
            if key and str(getattr(a, key)) != group:
                group = str(getattr(a, key))
                rows.append(group_header(key, group, counts[group]))
            new = "● " if a.id in self.new_ids else ""
            cells = (
                str(a.id),
                Text(new + a.status, style=STATUS_STYLE.get(a.status, "")),
                Text(a.severity[:4], style=SEVERITY_STYLE.get(a.severity, "")),
                a.model,
                a.kind,
                what(a.feature, a.slice),
                a.period or when(a.first_seen),  # a month's window by its name
                str(a.count),
                pct(a.actionability),
            )
            rows.append((str(a.id), cells))
        self.query_one("#alert-table", Table).show_rows(rows)
        held = sum(1 for a in self.alerts if a.id in self.held)
        table = self.query_one("#alert-table", Table)
        table.border_title = (
            f"digest: {held} held (d: back to the stream)"
            if self.show_digest
            else f"{held} held in the digest (d)"
            if held
            else None
        )
        self.refresh_bindings()

    def selected_id(self) -> int | None:
        return self.cursor_id("alert-table")

    def selected(self) -> Alert | None:
        """The alert under the cursor, if any."""
        aid = self.selected_id()
        return next((a for a in self.alerts if a.id == aid), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "alert-table" or event.row_key.value is None:
            return
        self.refresh_bindings()  # the alert's keys apply on an alert, not on a header
        if not str(event.row_key.value).isdigit():
            return  # a group's header
        aid = int(str(event.row_key.value))
        app = self.oncall
        run_store_job(
            self,
            f"alert #{aid}",
            lambda: core.show_alert(app.reader(), app.settings, aid, app.current_time()),
            AlertDetailLoaded,
            group="alert-detail",
            exclusive=True,
        )

    def render_detail(self) -> None:
        d = self.detail
        if d is None:
            return
        a = d.alert
        title = Text()
        title.append(f"#{a.id} {a.model} {a.kind} {what(a.feature, a.slice)}", style="bold")
        title.append(
            f"\n{a.severity} · {a.status} · first {a.first_seen:%m-%d %H:%M}"
            f" · last {a.last_seen:%m-%d %H:%M} · {a.count} windows"
            + (f" · window {a.period}" if a.period else "")
        )
        self.query_one("#alert-title", Static).update(shown(title))
        # The whole episode with margins, its failing windows marked, a dated axis.
        values = [r.value for r in d.results]
        self.query_one("#alert-plot", SeriesPlot).plot(
            [Series(a.check, values)],
            a.threshold,
            times=[r.window_start for r in d.results],
            marks=[r.status for r in d.results],
        )
        # For drift, a picture of what moved: baseline and last-window shares per bin.
        drift_plot = self.query_one("#alert-drift", SeriesPlot)
        drift = d.drift
        drift_plot.set_class(drift is None, "hidden")
        if drift is not None:
            labels = drift.labels
            drift_plot.plot(
                [
                    Series("baseline", list(drift.baseline), "○", "cyan"),
                    Series("last window", list(drift.current), "●", "bold"),
                ],
                None,
                f"share per bin, {labels[0]} … {labels[-1]}",
            )
        facts = Text()
        record = a.track_record
        if record:
            median = record.median_minutes_to_resolve
            facts.append(f"This type: acted on {record.acted} of the last {record.episodes}")
            if median is not None:
                facts.append(f", median {median:.0f} min to resolve")
            if record.last_noise_by:
                facts.append(f", last marked noise by {record.last_noise_by}")
            if record.estimates_checked:
                right, checked = record.estimates_right, record.estimates_checked
                facts.append(f"; its estimates were right {right} of {checked} times")
            facts.append("\n")
        lead = self.leads.get((a.model, a.kind, a.feature))
        if lead is not None and lead.drops_total:
            facts.append(
                f"Before realised drops: fired ahead of {lead.drops_preceded} of "
                f"{lead.drops_total} {a.model} SLO breaches"
                + (
                    f", median {lead.median_lead_hours:.0f} h earlier"
                    if lead.median_lead_hours is not None
                    else ""
                )
                + f"; {lead.without_drop} of its {lead.episodes} episodes had none after\n"
            )
        if d.alert.id in self.held:
            facts.append("Held in the digest: this type is rarely acted on\n", style="dim")
        if d.runbook:
            facts.append(f"Runbook ({d.runbook.author}): ", style="bold")
            facts.append(f"{d.runbook.text}\n")
        for b in d.bugs:
            facts.append(f"Bug #{b.bug_id} {b.title} ({b.status})\n", style="bold")
        if a.detail:
            # The same words as `oncall alerts show`: rounded, percentages, short lists.
            facts.append(f"Detail: {detail_facts(a.detail)}\n", style="dim")
        for e in d.events[-8:]:
            said = detail_facts(e.detail)
            facts.append(f"{e.acted_at:%m-%d %H:%M} {e.actor} {e.action} {said}\n")
        self.query_one("#alert-facts", Static).update(shown(facts))

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Alert actions show in the footer only while an alert is selected."""
        needs_alert = (
            "ack",
            "snooze",
            "silence",
            "resolve",
            "note",
            "noise",
            "actionable",
            "file_bug",
            "drill",
            "copy",
        )
        if action in needs_alert and self.is_mounted and self.selected() is None:
            return None
        if action == "close_filter" and self.is_mounted:
            # Only while the filter box has the focus; elsewhere Esc is the app's.
            return self.query_one("#alert-filter", Input).has_focus
        # No surfacing policy: no digest, and no key for it.
        return action != "toggle_digest" or self.oncall.settings.config.alerting.surface is not None

    def _act(self, kind: ActionKind, text: str = "", minutes: int = 0) -> None:
        alert = self.selected()
        if alert is None:
            return
        app = self.oncall
        session = app.session
        action = Action.new(kind, alert.id, session.actor, session.now(), text, minutes)
        done = DONE_WORDS[kind]
        if kind is ActionKind.SNOOZE:
            done = f"snoozed for {dict(SNOOZES).get(str(minutes))}"  # the preset's own words
        label = f"{done} #{alert.id}"

        def job() -> bool:
            return perform_or_queue(session, action)

        run_store_job(
            self, label, job, lambda applied: ActionDone(label, queued=not applied), group="actions"
        )

    @changes_state
    def action_ack(self) -> None:
        self.app.push_screen(
            Prompt(
                f"Acknowledge #{self.selected_id()}: what are you doing about it?",
                label="Note (optional)",
            ),
            lambda text: None if text is None else self._act(ActionKind.ACK, text),
        )

    @changes_state
    def action_snooze(self) -> None:
        self.app.push_screen(
            Choice("Snooze for", SNOOZES),
            lambda m: None if m is None else self._act(ActionKind.SNOOZE, minutes=int(m)),
        )

    @changes_state
    def action_resolve(self) -> None:
        """Resolving closes the episode (a failure after it opens a new alert), so it
        asks first."""
        alert = self.selected()
        if alert is None:
            return
        self.app.push_screen(
            Confirm(
                f"Resolve #{alert.id} {alert.model} {alert.kind} by hand?",
                "A failure after this opens a new alert.",
            ),
            lambda yes: self._act(ActionKind.RESOLVE) if yes else None,
        )

    @changes_state
    def action_note(self) -> None:
        self.app.push_screen(
            Prompt(
                f"Note on #{self.selected_id()}", label="Note", required="A note needs some text."
            ),
            lambda t: None if not t else self._act(ActionKind.NOTE, t),
        )

    @changes_state
    def action_noise(self) -> None:
        self.app.push_screen(
            Prompt(
                f"Mark #{self.selected_id()} as noise: why is it noise?",
                label="Reason (required)",
                required="A reason is required to mark an alert as noise.",
            ),
            lambda t: None if not t else self._act(ActionKind.MARK_NOISE, t),
        )

    @changes_state
    def action_actionable(self) -> None:
        self._act(ActionKind.MARK_ACTIONABLE)

    @changes_state
    def action_silence(self) -> None:
        alert = self.selected()
        if alert is None:
            return
        parts = [f"model={alert.model}", f"kind={alert.kind}"]
        if alert.feature:
            parts.append(f"feature={alert.feature}")
        parts += slice_pairs(alert.slice)
        self.app.push_screen(SilenceForm(" ".join(parts)), self._silence)

    def _silence(self, asked: SilenceAsked | None) -> None:
        """Silence as `oncall alerts silence --match … --for … --note …` does."""
        if asked is None:
            return
        app = self.oncall

        def job() -> int:
            matchers = core.parse_matchers(app.settings, list(asked.matchers))
            return core.silence(
                app.writer(),
                app.settings,
                matchers,
                app.actor,
                app.current_time(),
                asked.duration,
                asked.note,
            )

        run_store_job(
            self,
            "silence",
            job,
            lambda sid: ActionDone(f"silence #{sid} for {asked.duration_text}"),
            group="actions",
        )

    def action_copy(self) -> None:
        """Copy the selected alert as text (what it is, where, since when, its state)."""
        alert = self.selected()
        if alert is None:
            return
        self.app.copy_to_clipboard(alert_text(alert))
        self.notify(f"copied alert #{alert.id} to the clipboard")

    @changes_state
    def action_file_bug(self) -> None:
        alert = self.selected()
        if alert is None:
            return
        prefill = {
            "model": alert.model,
            "title": f"{alert.model} {alert.kind} {what(alert.feature, alert.slice)}".strip(),
            "description": f"Filed from alert #{alert.id} ({alert.severity}, first seen "
            f"{alert.first_seen:%Y-%m-%d %H:%M}).",
            "priority": "P1" if alert.severity == "critical" else "P2",
            "alerts": [alert.id],
            "links_text": f"links alert #{alert.id}",
        }
        self.app.push_screen(BugForm(prefill), self._file)

    def _file(self, form: dict[str, Any] | None) -> None:
        if form is not None:
            self.post_message(BugRequested(new_bug(form)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # The table takes Enter itself and says so with RowSelected.
        if event.data_table.id == "alert-table":
            event.stop()
            self.action_drill()

    def action_drill(self) -> None:
        alert = self.selected()
        if alert is not None:
            self.post_message(DrillRequested(drill_target(alert)))

    def action_group(self) -> None:
        self.group = (self.group + 1) % len(GROUPS)
        self.notify(f"grouped by {GROUPS[self.group] or 'nothing'}")
        self.render_table()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.notify("showing all alerts" if self.show_all else "showing active alerts")
        self.load()

    def action_toggle_digest(self) -> None:
        if self.oncall.settings.config.alerting.surface is None:
            self.notify("no digest: the config sets no alerting.surface policy")
            return
        self.show_digest = not self.show_digest
        self.notify("showing the digest" if self.show_digest else "showing the stream")
        self.render_table()

    def action_filter(self) -> None:
        box = self.query_one("#alert-filter", Input)
        box.remove_class("hidden")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "alert-filter":
            self.filter_text = event.value.strip()
            self.render_table()

    def action_close_filter(self) -> None:
        """Esc in the filter box clears it and goes back to the stream; anywhere else Esc
        is the app's (cancel running queries)."""
        box = self.query_one("#alert-filter", Input)
        if not box.has_focus:
            raise SkipAction()
        box.value = ""
        box.add_class("hidden")
        self.filter_text = ""
        self.render_table()
        self.query_one("#alert-table", DataTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "alert-filter":
            if not event.value.strip():
                event.input.add_class("hidden")
            self.query_one("#alert-table", DataTable).focus()


def drill_target(alert: Alert) -> DrillTarget:
    """Where Enter on an alert lands: its model, slice, feature and episode."""
    return DrillTarget(
        alert.model, alert.slice, alert.feature, alert.first_seen, alert.last_seen, alert.id
    )


def group_header(key: str, value: str, count: int) -> tuple[str, tuple[Any, ...]]:
    """A group's header row (not an alert: its key is not a number): the group's value
    in its own column, bold, and how many alerts it holds."""
    cells: list[Any] = [Text("▸", style="bold"), "", "", "", "", "", "", "", ""]
    cells[GROUP_COLUMN[key]] = Text(value, style="bold reverse")
    cells[5] = Text(f"{count} alert{'s' if count != 1 else ''}", style="bold")
    return f"group:{key}:{value}", tuple(cells)


def alert_text(alert: Alert) -> str:
    """An alert as one line of plain text, for the clipboard."""
    parts = [
        f"#{alert.id}",
        alert.severity,
        alert.status,
        alert.model,
        alert.kind,
        what(alert.feature, alert.slice),
        f"first {alert.first_seen:%Y-%m-%d %H:%M} UTC",
        f"last {alert.last_seen:%Y-%m-%d %H:%M} UTC",
        f"{alert.count} windows",
        f"window {alert.period}" if alert.period else "",
    ]
    return " · ".join(p for p in parts if p)
