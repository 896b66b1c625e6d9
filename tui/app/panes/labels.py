"""Label delay: coverage by prediction day, delay percentiles, what is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Label, Select

from tui.app.gateway import run_store_job
from tui.app.messages import LabelDelayLoaded
from tui.app.panes.base import Pane
from tui.app.widgets.plot import Series, SeriesPlot
from tui.app.widgets.table import Table
from tui.core.config.times import floor_time
from tui.core.slices.labels import HORIZONS, label_delay
from tui.core.slices.records import DelayReport
from tui.core.slices.request import Request
from tui.core.words import pct


@dataclass(frozen=True)
class DelayAnswer:
    """Label delay of one model overall and by its first slice column (if it has one)."""

    all: DelayReport
    by: DelayReport | None
    column: str | None


class LabelDelay(Pane):
    """How late ground truth is for one model."""

    HELP_TITLE = "Label delay keys"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "reload", "Reload")]

    def __init__(self) -> None:
        super().__init__(id="label-delay")
        self.model = ""

    def compose(self) -> ComposeResult:
        models = list(self.oncall.settings.config.models)
        self.model = models[0]
        with Horizontal(id="label-controls"):
            yield Select(
                [(m, m) for m in models], value=self.model, allow_blank=False, id="label-model"
            )
            yield Label("", id="label-summary")
        yield SeriesPlot(id="label-plot")
        with Horizontal():
            yield Table(id="label-table", zebra_stripes=True)
            yield Table(id="overdue-table", zebra_stripes=True)

    def on_mount(self) -> None:
        self.loaded_once = False

    def first_show(self) -> None:
        """Load when the pane is first shown, not at start-up."""
        if not self.loaded_once:
            self.loaded_once = True
            self.load()

    def load(self) -> None:
        app = self.oncall
        model = self.model
        spec = app.settings.model(model)
        now = app.current_time()
        start = floor_time(now - timedelta(days=14), timedelta(days=1))
        req = Request(model, spec, start, now, now)
        by = spec.slices[0] if spec.slices else None

        def job() -> DelayAnswer:
            with app.reader().read() as con:
                return DelayAnswer(
                    label_delay(con, req), label_delay(con, req, by) if by else None, by
                )

        run_store_job(
            self,
            f"labels of {model}",
            job,
            LabelDelayLoaded,
            group="labels",
            exclusive=True,
        )

    def on_label_delay_loaded(self, message: LabelDelayLoaded) -> None:
        message.stop()
        answer: DelayAnswer = message.report
        report = answer.all
        days = report.days
        plot = self.query_one("#label-plot", SeriesPlot)
        glyphs = {1: ("●", "green"), 3: ("○", "cyan"), 7: ("◆", "yellow")}
        plot.plot(
            [Series(f"labelled ≤{h}d", [d.within[h] for d in days], *glyphs[h]) for h in (1, 3, 7)],
            None,
            "by prediction day",
        )
        table = self.query_one("#label-table", DataTable)
        table.clear(columns=True)
        for col in ("day", "n", *(f"≤{h}d" for h in HORIZONS), "now", "p50 h", "p90 h", "overdue"):
            table.add_column(col, width=max(len(col), 7))
        for d in days:
            table.add_row(
                f"{d.day:%m-%d}",
                f"{d.n:,}",
                *(pct(d.within[h]) for h in HORIZONS),
                pct(d.labeled_now),
                f"{d.p50_hours or 0:.1f}",
                f"{d.p90_hours or 0:.1f}",
                f"{d.overdue:,}",
            )
        s = report.summary[0] if report.summary else None
        if s:
            self.query_one("#label-summary", Label).update(
                f"expected within {report.expected_delay_hours:.0f} h · delay p50 "
                f"{s.p50_hours or 0:.1f} h, p90 {s.p90_hours or 0:.1f} h, p99 "
                f"{s.p99_hours or 0:.1f} h · {s.overdue:,} overdue"
            )
        overdue = self.query_one("#overdue-table", DataTable)
        overdue.clear(columns=True)
        by, column = answer.by, answer.column
        if by and column:
            overdue.add_column(column, width=12)
            overdue.add_column("overdue", width=8)
            overdue.add_column("labelled", width=8)
            for row in sorted(by.summary, key=lambda r: -r.overdue):
                overdue.add_row(str(row.group), f"{row.overdue:,}", pct(row.coverage))

    def on_select_changed(self, event: Select.Changed) -> None:
        if (
            event.select.id == "label-model"
            and isinstance(event.value, str)
            and event.value != self.model
        ):
            self.model = event.value
            self.load()

    def action_reload(self) -> None:
        self.load()
