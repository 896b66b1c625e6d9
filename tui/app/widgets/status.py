"""The status line under the title: store, now, shift, who you are (and whether you may
only look), what is pending."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class StatusLine(Static):
    """One line of context an on-call engineer needs at 3 a.m."""

    store: reactive[str] = reactive("")
    now: reactive[str] = reactive("")
    shift: reactive[str] = reactive("no shift")
    user: reactive[str] = reactive("")
    waiting: reactive[str] = reactive("")
    busy: reactive[str] = reactive("")
    pending: reactive[int] = reactive(0)
    read_only: reactive[bool] = reactive(False)

    def render(self) -> Text:
        text = Text(overflow="ellipsis", no_wrap=True)
        text.append(" oncall ", style="bold")
        text.append(f" {self.user} ", style="bold reverse")
        if self.read_only:
            text.append(" read-only ", style="bold reverse yellow")
        text.append(f"  now {self.now}  ·  {self.shift}  ·  {self.store}")
        if self.busy:
            text.append(f"  ·  {self.busy}", style="bold red")
        elif self.waiting:
            text.append(f"  ·  waiting for {self.waiting}…", style="dim")
        if self.pending:
            text.append(f"  ·  {self.pending} pending", style="bold yellow")
        return text
