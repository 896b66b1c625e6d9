"""Messages of the app: workers' replies named for what happened (past tense), each
with its own typed fields, and the requests panes send up to the app.

A reply goes to the widget that asked (`run_store_job(target, …)`); a request bubbles
up to the app, which routes it (panes never call each other or the app's methods).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual.message import Message

from tui.core.alerts.records import Alert, AlertDetail
from tui.core.tuning.lead import LeadIndicator
from tui.core.tuning.suggest import Tuning
from tui.core.work.bugs import Bug, BugDetail, NewBug
from tui.core.work.shifts import Shift

# ---------------------------------------------------------------- the store


class StoreWaited(Message):
    """A worker started waiting on the store for something."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class StoreAnswered(Message):
    """A worker's store access finished (well or not)."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class StoreWasBusy(Message):
    """Another process held the store past the app's short deadline."""

    def __init__(self, what: str, holder_pid: int | None) -> None:
        super().__init__()
        self.what = what
        self.holder_pid = holder_pid


class QueryFailed(Message):
    """A store access failed; the message says why, for a notification."""

    def __init__(self, what: str, error: str, title: str = "error") -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.title = title


class StoreChanged(Message):
    """Something was written; panes re-read what they show."""


@dataclass
class Polled:
    """What one poll of the store found."""

    changes: int | None  # the store's change counter; None when it was busy
    applied: int  # outbox actions applied by this poll
    pending: int  # outbox actions still waiting
    holder: int | None  # the PID holding the store when busy (0: unknown), else None


class ChangesPolled(Message):
    """A poll of the change counter (and the outbox) answered."""

    def __init__(self, polled: Polled) -> None:
        super().__init__()
        self.polled = polled


class ShiftLoaded(Message):
    """The open shift, in words for the status line."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ActionDone(Message):
    """A person's action was applied (or, with `queued`, kept in the outbox)."""

    def __init__(self, description: str, queued: bool = False) -> None:
        super().__init__()
        self.description = description
        self.queued = queued


# ---------------------------------------------------------------- replies to panes


class AlertsLoaded(Message):
    """The alert stream as of now; `held` are the ids the surfacing policy holds in the
    digest, `leads` each early alert type's record before realised drops."""

    def __init__(
        self,
        alerts: list[Alert],
        held: frozenset[int] = frozenset(),
        leads: dict[tuple[str, str, str | None], LeadIndicator] | None = None,
    ) -> None:
        super().__init__()
        self.alerts = alerts
        self.held = held
        self.leads = leads or {}


class AlertDetailLoaded(Message):
    """One alert in full: history, results, track record, drift picture."""

    def __init__(self, detail: AlertDetail) -> None:
        super().__init__()
        self.detail = detail


class BugsLoaded(Message):
    """The bug queue."""

    def __init__(self, bugs: list[Bug]) -> None:
        super().__init__()
        self.bugs = bugs


class BugDetailLoaded(Message):
    """One bug with its links and history."""

    def __init__(self, bug: BugDetail) -> None:
        super().__init__()
        self.bug = bug


class SlicesComputed(Message):
    """Metrics per slice, the worst slices and the metric over time, for one request."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class ExamplesPageLoaded(Message):
    """A page of example rows; `opened` says which opening of rows it belongs to."""

    def __init__(self, opened: int, key: str | None, page: Any) -> None:
        super().__init__()
        self.opened = opened
        self.key = key
        self.page = page


class DrillLoaded(Message):
    """An alert's evidence as of the moment viewed (a `Drill`), for the slice explorer."""

    def __init__(self, drill: Any) -> None:
        super().__init__()
        self.drill = drill


class LabelDelayLoaded(Message):
    """Label coverage and delay for one model."""

    def __init__(self, report: Any) -> None:
        super().__init__()
        self.report = report


class TuningLoaded(Message):
    """One model's back-test: a suggestion and a trade-off curve per alert type."""

    def __init__(self, model: str, tunings: list[Tuning]) -> None:
        super().__init__()
        self.model = model
        self.tunings = tunings


class ShiftsListed(Message):
    """The shifts, for the replay picker."""

    def __init__(self, shifts: list[Shift]) -> None:
        super().__init__()
        self.shifts = shifts


class ReplayLoaded(Message):
    """A past shift's quiz and, kept out of sight, the veteran's decisions."""

    def __init__(self, items: list[Any], truth: dict[int, Any]) -> None:
        super().__init__()
        self.items = items
        self.truth = truth


class ReplayScored(Message):
    """A replay's calls scored against the veteran's."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class FollowLoaded(Message):
    """The live shift as a shadow follows it."""

    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view


# ---------------------------------------------------------------- requests to the app


@dataclass(frozen=True)
class DrillTarget:
    """Where a drill-down lands: a model, a slice and feature, a window; with
    `alert_id`, that alert's own evidence (its metric, episode and offending rows)."""

    model: str
    slice: dict[str, str] | None
    feature: str | None
    first_seen: datetime
    last_seen: datetime
    alert_id: int | None = None


class DrillRequested(Message):
    """A pane asks to open the slice explorer on an alert's terms; with `as_of`, with
    the clock set to that moment (a replay's "investigate")."""

    def __init__(self, target: DrillTarget, as_of: datetime | None = None) -> None:
        super().__init__()
        self.target = target
        self.as_of = as_of


class BugRequested(Message):
    """A pane asks for a bug to be filed from a filled form; the app files it in one
    worker whichever pane asked."""

    def __init__(self, bug: NewBug) -> None:
        super().__init__()
        self.bug = bug
