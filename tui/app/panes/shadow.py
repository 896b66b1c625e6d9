"""Shadow: replay a past shift, call each alert before the veteran's decision is shown."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Select, Static

from tui.app.gateway import run_store_job
from tui.app.messages import (
    DrillRequested,
    DrillTarget,
    FollowLoaded,
    ReplayLoaded,
    ReplayScored,
    ShiftsListed,
)
from tui.app.panes.base import Pane
from tui.app.widgets.safe import shown
from tui.core.shadow import replay as core
from tui.core.words import num, slice_text, what, when
from tui.core.work.shifts import Shift, list_shifts

if TYPE_CHECKING:
    from textual.timer import Timer

# In play mode, how long a revealed alert stays before the next one comes.
REVEAL_SECONDS = 8.0


class ShiftReplay(Pane):
    """A past shift's alerts in the order they fired; call each, then see the veteran's."""

    HELP_TITLE = "Shadow keys"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "call('act')", "Act", tooltip="You would act on it"),
        Binding("w", "call('watch')", "Watch", tooltip="You would keep an eye on it"),
        Binding("i", "call('ignore')", "Ignore", tooltip="You would let it go"),
        Binding("b", "call('bug')", "Bug", tooltip="You would file a bug"),
        Binding("n", "next", "Next", tooltip="The next alert, after the reveal"),
        Binding("o", "investigate", "Investigate", tooltip="Open its slice as of that moment"),
        Binding(
            "p",
            "play",
            "Play",
            tooltip="Play at a pace: an alert not called in time is skipped as undecided",
        ),
        Binding("plus", "pace(0.5)", "Faster", show=False),
        Binding("minus", "pace(2)", "Slower", show=False),
        Binding("f", "follow", "Follow", tooltip="Follow the live shift instead of a past one"),
    ]

    def __init__(self) -> None:
        super().__init__(id="shift-replay")
        self.shift_id: int | None = None
        self.items: list[dict[str, Any]] = []
        self.truth: dict[int, dict[str, Any]] = {}
        self.index = 0
        self.calls: list[dict[str, Any]] = []
        self.revealed = False
        self.started = 0.0
        self.result: dict[str, Any] | None = None
        self.loaded_once = False
        self.seconds_per_alert = 30.0
        self.playing = False
        self.following: dict[str, Any] | None = None
        # Play mode: when the current alert's time runs out, and when the next comes.
        self.clock: Callable[[], float] = time.monotonic
        self.deadline: float | None = None
        self.next_at: float | None = None
        self.ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="replay-controls"):
            yield Select([], id="replay-shift", prompt="past shift")
            yield Label("", id="replay-progress")
        with VerticalScroll():
            yield Static("", id="replay-alert")
            yield Static("", id="replay-reveal")

    def first_show(self) -> None:
        """Load the past shifts when the pane is first shown."""
        if self.loaded_once:
            return
        self.loaded_once = True
        app = self.oncall
        run_store_job(
            self,
            "shifts",
            lambda: list_shifts(app.reader()),
            ShiftsListed,
            group="replay",
        )

    def on_shifts_listed(self, message: ShiftsListed) -> None:
        message.stop()
        past: list[Shift] = [s for s in message.shifts if s.role == "primary" and not s.open]
        select = self.query_one("#replay-shift", Select)
        select.set_options(
            [
                (
                    f"shift {s.id}: {s.engineer} {when(s.started_at)}–{when(s.ended_at)}",
                    s.id,
                )
                for s in past
            ]
        )
        if past:
            select.value = past[0].id

    def on_replay_loaded(self, message: ReplayLoaded) -> None:
        message.stop()
        self.items, self.truth = message.items, message.truth
        self.index, self.calls, self.revealed, self.result = 0, [], False, None
        self.show_current()

    def on_replay_scored(self, message: ReplayScored) -> None:
        message.stop()
        self.result = message.result
        self.show_current()

    def on_follow_loaded(self, message: FollowLoaded) -> None:
        message.stop()
        self.following = message.view
        self.show_follow()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "replay-shift" and isinstance(event.value, int):
            self.start(event.value)

    def start(self, shift_id: int) -> None:
        """Load a shift's quiz and the answers, kept out of sight until each call."""
        self.shift_id = shift_id
        self.following = None
        app = self.oncall

        def job() -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
            store, now = app.reader(), app.current_time()
            quiz = core.quiz(store, app.settings, shift_id, now)
            return quiz["alerts"], core.veteran_decisions(store, app.settings, shift_id, now)

        run_store_job(
            self,
            f"replay of shift {shift_id}",
            job,
            lambda d: ReplayLoaded(*d),
            group="replay",
            exclusive=True,
        )

    # ------------------------------------------------------------ follow a live shift

    def action_follow(self) -> None:
        """Follow the live shift: call each alert, then see what the primary did."""
        app = self.oncall
        self.playing = False
        run_store_job(
            self,
            "follow",
            lambda: core.follow(app.reader(), app.settings, app.actor, app.current_time()),
            FollowLoaded,
            group="replay",
            exclusive=True,
        )

    def follow_next(self) -> dict[str, Any] | None:
        if self.following is None:
            return None
        return next((a for a in self.following["alerts"] if a["your_call"] is None), None)

    def show_follow(self) -> None:
        f = self.following
        if f is None:
            return
        waiting = self.follow_next()
        self.query_one("#replay-progress", Label).update(
            shown(
                f"following shift {f['shift']} (primary {f['primary']}); "
                f"{sum(1 for a in f['alerts'] if a['your_call'] is None)} awaiting your call"
            )
        )
        text = Text()
        if waiting is not None:
            slice_ = slice_text(waiting["slice"])
            text.append(f"#{waiting['id']} {waiting['type']} {slice_}\n", style="bold")
            text.append(f"{waiting['severity']} at {waiting['first_seen']:%m-%d %H:%M}\n")
            text.append("Your call: a act · w watch · i ignore · b bug", style="dim")
        else:
            text.append("You have called every alert of this shift so far.")
        self.query_one("#replay-alert", Static).update(shown(text))
        done = Text()
        for a in f["alerts"]:
            if a["your_call"] is None:
                continue
            done.append(f"#{a['id']} {a['type']}: you {a['your_call']}; primary: ", style="bold")
            actions = a.get("primary") or []
            done.append(", ".join(f"{v['who']} {v['action']}" for v in actions) or "nothing yet")
            done.append("\n")
        self.query_one("#replay-reveal", Static).update(shown(done))
        self.refresh_bindings()

    def follow_call(self, call: str) -> None:
        item = self.follow_next()
        if item is None:
            return
        app = self.oncall

        def job() -> dict[str, Any]:
            core.call(
                app.writer(), app.settings, app.actor, int(item["id"]), call, "", app.current_time()
            )
            return core.follow(app.reader(), app.settings, app.actor, app.current_time())

        run_store_job(self, "call", job, FollowLoaded, group="replay")

    # ------------------------------------------------------------ replay at a pace

    def action_play(self) -> None:
        """Play at a pace: each alert has a countdown; one not called in time is shown
        with the veteran's call as undecided, then the next comes by itself."""
        self.playing = not self.playing
        self.notify(
            f"playing one alert every {self.seconds_per_alert:g} s"
            if self.playing
            else "stepping one alert at a time"
        )
        if self.playing:
            self.deadline = None if self.revealed else self.clock() + self.seconds_per_alert
            self.next_at = self.clock() + REVEAL_SECONDS if self.revealed else None
            if self.ticker is None:
                self.ticker = self.set_interval(1.0, self.tick)
            else:
                self.ticker.resume()
        elif self.ticker is not None:
            self.ticker.pause()
        self.show_progress()

    def action_pace(self, factor: float) -> None:
        self.seconds_per_alert = max(2.0, min(600.0, self.seconds_per_alert * factor))
        self.notify(f"{self.seconds_per_alert:g} s per alert")

    def tick(self) -> None:
        """Every second while playing: count down; at zero reveal the alert as
        undecided; after the reveal, go on to the next."""
        if not self.playing or self.following is not None or self.current() is None:
            return
        now = self.clock()
        if not self.revealed and self.deadline is not None and now >= self.deadline:
            self.reveal(None)
        elif self.revealed and self.next_at is not None and now >= self.next_at:
            self.action_next()
        self.show_progress()

    def show_progress(self) -> None:
        """Where the replay is, and while playing the seconds left (or to the next)."""
        if self.current() is None or self.following is not None:
            return
        text = f"shift {self.shift_id}: alert {self.index + 1} of {len(self.items)}"
        if self.playing:
            now = self.clock()
            if not self.revealed and self.deadline is not None:
                text += f" · ⏱ {max(0, math.ceil(self.deadline - now))} s left"
            elif self.revealed and self.next_at is not None:
                text += f" · next in {max(0, math.ceil(self.next_at - now))} s"
        self.query_one("#replay-progress", Label).update(text)

    def current(self) -> dict[str, Any] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def show_current(self) -> None:
        progress = self.query_one("#replay-progress", Label)
        alert_view = self.query_one("#replay-alert", Static)
        reveal = self.query_one("#replay-reveal", Static)
        item = self.current()
        if item is None:
            progress.update(f"shift {self.shift_id}: done, {len(self.calls)} calls")
            r = self.result
            if r is not None:
                text = Text()
                text.append("Your score\n", style="bold")
                text.append(
                    f"agreement with the veteran {r['agreement']:.0%}\n"
                    if r["agreement"] is not None
                    else ""
                )
                for key, label in (
                    ("recall_actionable", "recall on alerts that needed action"),
                    ("false_alarm_rate", "false alarms on those that did not"),
                ):
                    if r[key] is not None:
                        text.append(f"{label}: {r[key]:.0%}\n")
                for kind, n in r["disagreements"].items():
                    text.append(f"disagreed {n}× on {kind}\n", style="yellow")
                alert_view.update(text)
            else:
                alert_view.update("scoring…" if self.calls else "no alerts fired in this shift")
            reveal.update("")
            self.refresh_bindings()
            return
        self.started = self.clock()
        self.deadline = self.started + self.seconds_per_alert if self.playing else None
        self.next_at = None
        text = Text()
        text.append(
            f"#{item['id']} {item['model']} {item['kind']} "
            f"{what(item['feature'], item['slice'])}\n",
            style="bold",
        )
        text.append(
            f"{item['severity']} at {item['first_seen']:%m-%d %H:%M}; value "
            f"{num(item['value'])} against {num(item['threshold'])}; "
            f"{item['earlier_alerts_of_this_type']} earlier alert(s) of this type\n"
            if item["value"] is not None and item["threshold"] is not None
            else f"{item['severity']} at {item['first_seen']:%m-%d %H:%M}\n"
        )
        text.append(
            "What would you do? a act · w watch · i ignore · b bug · o investigate", style="dim"
        )
        alert_view.update(shown(text))
        reveal.update("")
        self.revealed = False
        self.show_progress()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "call":
            if self.following is not None:
                return True if self.follow_next() is not None else None
            return True if self.current() is not None and not self.revealed else None
        if action == "next":
            return True if self.revealed else None
        if action == "investigate":
            return True if self.current() is not None else None
        return True

    def action_call(self, call: str) -> None:
        if self.following is not None:
            self.follow_call(call)
            return
        item = self.current()
        if item is None or self.revealed:
            return
        self.calls.append(
            {
                "alert_id": item["id"],
                "call": call,
                "seconds": round(self.clock() - self.started, 1),
                "at": self.oncall.current_time(),
            }
        )
        self.reveal(call)

    def reveal(self, call: str | None) -> None:
        """Show what the veteran did with the current alert, after your call, or after
        its time ran out (``call`` None: it counts as undecided)."""
        item = self.current()
        if item is None:
            return
        self.revealed = True
        self.deadline = None
        self.next_at = self.clock() + REVEAL_SECONDS if self.playing else None
        t = self.truth[int(item["id"])]
        text = Text()
        if call is None:
            text.append("Time ran out: undecided. ", style="bold yellow")
        else:
            text.append(f"You: {call}. ", style="bold")
        text.append("The veteran acted on it.\n" if t["acted"] else "The veteran let it go.\n")
        for v in t["veteran"]:
            said = " ".join(str(x) for x in v["detail"].values() if x)
            text.append(f"  {v['at']:%m-%d %H:%M} {v['who']} {v['action']} {said}\n")
        outcome = t["outcome"]
        if "bug" in outcome:
            text.append(
                f"It turned out to be bug #{outcome['bug']}: {outcome['title']} "
                f"(root cause {outcome['root_cause']}).\n",
                style="bold",
            )
        else:
            text.append("It turned out to be noise.\n")
        if t["runbook"]:
            text.append(f"Runbook: {t['runbook']}\n")
        text.append(
            "the next alert comes by itself · n for it now"
            if self.playing
            else "n for the next alert",
            style="dim",
        )
        self.query_one("#replay-reveal", Static).update(shown(text))
        self.show_progress()
        self.refresh_bindings()

    def action_next(self) -> None:
        if not self.revealed:
            return
        self.index += 1
        if self.current() is None:
            app, calls, shift_id = self.oncall, list(self.calls), self.shift_id
            run_store_job(
                self,
                "score",
                lambda: core.replay_score(
                    app.writer(), app.settings, shift_id, app.actor, calls, app.current_time()
                ),
                ReplayScored,
                group="replay",
            )
        self.show_current()

    def action_investigate(self) -> None:
        item = self.current()
        if item is None:
            return
        # The replayed alert as it was when it fired: its window ends there.
        moment = item["first_seen"]
        target = DrillTarget(
            item["model"], item["slice"], item["feature"], moment, moment, int(item["id"])
        )
        self.post_message(DrillRequested(target, as_of=moment))
