"""Tuning: each alert type's thresholds back-tested on the team's record — the
trade-off curve, the current and the suggested threshold, and the episodes the
suggestion would change."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Select, Static

from tui.app.gateway import run_store_job
from tui.app.messages import TuningLoaded
from tui.app.panes.base import Pane
from tui.app.widgets.plot import Series, SeriesPlot
from tui.app.widgets.safe import shown
from tui.app.widgets.table import Table
from tui.core.tuning.suggest import Tuning, tune
from tui.core.words import when

# Learn from every stored result (the CLI's default too).
EARLIEST = datetime(1970, 1, 1)


def _threshold(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


class TuningView(Pane):
    """Per alert type of a model: what its threshold would have done, and a better one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reload", "Reload", tooltip="Back-test again on the stored record"),
    ]

    def __init__(self) -> None:
        super().__init__(id="tuning-view")
        self.model = ""
        self.tunings: list[Tuning] = []
        self.loaded_once = False

    def compose(self) -> ComposeResult:
        models = list(self.oncall.settings.config.models)
        self.model = models[0]
        with Horizontal(id="tuning-controls"):
            yield Select(
                [(m, m) for m in models], value=self.model, allow_blank=False, id="tuning-model"
            )
            yield Label("", id="tuning-summary")
        with Horizontal(id="tuning-body"):
            yield Table(id="tuning-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="tuning-detail"):
                yield Static("no alert type selected", id="tuning-reason")
                yield SeriesPlot(id="tuning-plot")
                yield Table(id="tuning-changes", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#tuning-table", DataTable)
        for label, key, width in (
            ("type", "type", 24),
            ("parameter", "parameter", 16),
            ("now", "current", 7),
            ("suggested", "suggested", 9),
            ("episodes", "episodes", 9),
            ("acted kept", "acted", 10),
        ):
            table.add_column(label, key=key, width=width)
        changes = self.query_one("#tuning-changes", DataTable)
        for label, width in (("alert", 6), ("was", 8), ("first seen", 12)):
            changes.add_column(label, width=width)

    def first_show(self) -> None:
        """Back-test when the view is first shown, not at start-up."""
        if not self.loaded_once:
            self.loaded_once = True
            self.load()

    def load(self) -> None:
        """Back-test the chosen model's alert types (in a worker)."""
        app = self.oncall
        model = self.model
        self.query_one("#tuning-summary", Label).update(f"back-testing {model}…")

        def job() -> TuningLoaded:
            return TuningLoaded(
                model, tune(app.reader(), app.settings, since=EARLIEST, model=model)
            )

        run_store_job(
            self, f"back-test of {model}", job, lambda m: m, group="tuning", exclusive=True
        )

    def on_tuning_loaded(self, message: TuningLoaded) -> None:
        message.stop()
        if message.model != self.model:
            return
        self.tunings = message.tunings
        tunable = [t for t in self.tunings if t.suggested is not None]
        now = sum(t.episodes_now for t in tunable)
        then = sum(t.episodes_suggested or 0 for t in tunable)
        self.query_one("#tuning-summary", Label).update(
            f"{len(self.tunings)} alert types · with every suggestion {then} episodes "
            f"instead of {now}"
            if tunable
            else f"{len(self.tunings)} alert types · nothing to tune yet"
        )
        rows = []
        for i, t in enumerate(self.tunings):
            suggested = Text(_threshold(t.suggested), style="bold" if t.changed else "dim")
            rows.append(
                (
                    str(i),
                    (
                        t.kind + (f"/{t.feature}" if t.feature else ""),
                        t.parameter or "—",
                        _threshold(t.current),
                        suggested,
                        f"{t.episodes_now}→{t.episodes_suggested}"
                        if t.episodes_suggested is not None
                        else str(t.episodes_now),
                        f"{t.acted_kept}/{t.acted_total}"
                        if t.acted_kept is not None
                        else f"—/{t.acted_total}",
                    ),
                )
            )
        self.query_one("#tuning-table", Table).show_rows(rows)
        if self.tunings:
            self.show_type(self.tunings[0])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "tuning-table" or event.row_key.value is None:
            return
        index = int(str(event.row_key.value))
        if index < len(self.tunings):
            self.show_type(self.tunings[index])

    def show_type(self, t: Tuning) -> None:
        """The type's reason, its trade-off curve and the episodes that would change."""
        self.query_one("#tuning-reason", Static).update(shown(Text(t.reason)))
        plot = self.query_one("#tuning-plot", SeriesPlot)
        curve = t.curve
        if curve:
            first, last = curve[0].threshold, curve[-1].threshold
            plot.plot(
                [
                    Series("episodes", [float(p.episodes) for p in curve], "●", "bold"),
                    Series("acted on kept", [float(p.acted_kept) for p in curve], "○", "green"),
                ],
                None,
                f"{t.parameter} from {first:g} to {last:g}: now {_threshold(t.current)}, "
                f"suggested {_threshold(t.suggested)}",
            )
        else:
            plot.plot([], None, "no results to replay")
        changes = self.query_one("#tuning-changes", DataTable)
        changes.clear()
        for c in t.changes:
            changes.add_row(f"#{c.alert_id}", c.outcome, when(c.first_seen))

    def on_select_changed(self, event: Select.Changed) -> None:
        if (
            event.select.id == "tuning-model"
            and isinstance(event.value, str)
            and event.value != self.model
        ):
            self.model = event.value
            self.load()

    def action_reload(self) -> None:
        self.load()
