"""The slice explorer: metrics per slice, the worst slices, the rows behind them."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select

from tui.app.dialogs import BugForm
from tui.app.dialogs.bug_form import new_bug
from tui.app.gateway import run_store_job
from tui.app.messages import BugRequested, DrillLoaded, ExamplesPageLoaded, SlicesComputed
from tui.app.panes.base import Pane, changes_state
from tui.app.panes.slice_tables import (
    EstimateAnswer,
    FocusAnswer,
    SlicesAnswer,
    bin_table,
    drill_caption,
    estimate_answer,
    example_table,
    focus_table,
    metric_plots,
    slice_table,
    worst_table,
)
from tui.app.widgets.plot import SeriesPlot
from tui.app.widgets.rows import RowsView
from tui.app.widgets.safe import shown
from tui.app.widgets.table import Table
from tui.core.alerts.drill import Drill, drill_for
from tui.core.config.settings import CHECKS_ONLY_METRICS, ESTIMATED_METRICS, METRICS_BY_TASK
from tui.core.config.times import floor_time, parse_timestamp, trailing_start
from tui.core.errors import OncallError, StoreBusyError
from tui.core.ingest.rollups import refresh
from tui.core.slices.examples import examples_page
from tui.core.slices.explore import metric_series, slice_metrics, worst_slices
from tui.core.slices.focus import Focus, FocusSlice, focus_slices
from tui.core.slices.records import SliceRow, WorstSlice
from tui.core.slices.request import Request, primary_metric
from tui.core.store.filters import parse_filters
from tui.core.words import slice_pairs

PAGE = 200


class SliceExplorer(Pane):
    """Pick model, window, slice columns and metric; see slices worst first; open rows."""

    HELP_TITLE = "Slice explorer keys"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "examples", "Rows", tooltip="Show the rows behind the selected slice"),
        Binding("w", "wrong", "Wrong only", tooltip="Only labelled rows the model got wrong"),
        Binding("right_square_bracket", "next_page", "Next page"),
        Binding("left_square_bracket", "previous_page", "Prev page"),
        Binding("space", "mark", "Mark row", tooltip="Select example rows for a bug"),
        Binding("b", "file_bug", "Bug", tooltip="File a bug from the slice or the marked rows"),
        Binding("y", "copy_row", "Copy row", tooltip="Copy the example row as text"),
        Binding("v", "versions", "Versions", tooltip="Compare model versions side by side"),
        Binding("ctrl+r", "compute", "Recompute"),
        Binding("slash", "where", "Where", tooltip="Filter rows: amount>1000 and region=EU"),
        Binding("escape", "close_where", "Close", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="slice-explorer")
        self.model = ""
        self.by = ""
        self.window = "7d"
        self.metric: str | None = None
        self.filters: list[str] = []
        self.rows: list[SliceRow] = []
        self.worst: list[WorstSlice] = []
        self.example_filters: list[str] | None = None
        self.wrong = False
        self.pages: list[str | None] = [None]
        self.page: dict[str, Any] | None = None
        self.opened = 0  # counts open_examples calls, so late pages of earlier rows are dropped
        self.prefetched: dict[str | None, dict[str, Any]] = {}
        self.marked: set[str] = set()
        self.caption = ""  # the example rows' caption, before the count of marked rows
        # The alert drilled into: its measure ranks the slices and its focus picks the
        # rows, until the model is changed (Enter on an alert in the stream sets it).
        self.drill: Drill | None = None
        self.focus_rows: list[FocusSlice] = []
        # The request whose estimate is awaited (a late one for other controls is dropped).
        self.shown_req: Request | None = None

    def compose(self) -> ComposeResult:
        models = list(self.oncall.settings.config.models)
        self.model = models[0]
        with Horizontal(id="slice-controls"):
            yield Select(
                [(m, m) for m in models], value=self.model, allow_blank=False, id="slice-model"
            )
            yield Input(self.by, placeholder="by: region,tier", id="slice-by")
            yield Input(self.window, placeholder="window: 7d or FROM..TO", id="slice-window")
            yield Select([], id="slice-metric", prompt="metric")
        yield Input(
            placeholder="where: region=EU and amount>1000, plan in (pro, team), amount is null",
            id="slice-where",
            classes="hidden",
        )
        yield Label("", id="where-error", classes="hidden")
        yield Label("", id="slice-caption")
        with Horizontal(id="slice-tables"):
            yield Table(id="slice-table", cursor_type="row", zebra_stripes=True)
            yield Table(id="worst-table", cursor_type="row", zebra_stripes=True)
        yield SeriesPlot(id="slice-plot")
        yield Label("", id="example-caption", classes="hidden")
        yield RowsView(id="example-rows", classes="hidden")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self._default_by()
        self._metric_options()
        self.loaded_once = False

    def first_show(self) -> None:
        """Compute when the pane is first shown, not at start-up (keeps start-up light)."""
        if not self.loaded_once:
            self.loaded_once = True
            self.compute()

    def _default_by(self) -> None:
        slices = self.oncall.settings.model(self.model).slices
        self.by = slices[0] if slices else ""
        self.query_one("#slice-by", Input).value = self.by

    def _metric_options(self) -> None:
        task = self.oncall.settings.model(self.model).task
        select = self.query_one("#slice-metric", Select)
        options = [m for m in METRICS_BY_TASK[task] if m not in CHECKS_ONLY_METRICS]
        self.metric = primary_metric(self.oncall.settings.model(self.model))
        drill = self.drill
        if drill is not None and drill.model == self.model:
            # An alert's own measure is offered (and chosen) while drilling into it.
            if drill.measure not in options:
                options.append(drill.measure)
            self.metric = drill.measure
        select.set_options([(m, m) for m in options])
        select.value = self.metric

    def request(self, filters: list[str] | None = None) -> Request:
        """The slicing request from the controls."""
        app = self.oncall
        spec = app.settings.model(self.model)
        now = app.current_time()
        text = self.window.strip() or "7d"
        if ".." in text:
            start, _, end = text.partition("..")
            since, until = parse_timestamp(start), parse_timestamp(end)
        else:
            until = floor_time(now, timedelta(hours=1))
            # `1mo` is a calendar month back, `7d` seven days.
            since = trailing_start(until, text)
        return Request(
            self.model,
            spec,
            since,
            until,
            now,
            None,
            parse_filters(self.model, spec, filters if filters is not None else self.filters),
        )

    def compute(self) -> None:
        """Recompute the tables and the plot for the current controls (in workers)."""
        app = self.oncall
        try:
            req = self.request()
        except OncallError as exc:
            self.notify(exc.message, severity="error")
            return
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        by = [c.strip() for c in self.by.split(",") if c.strip()]
        metric = self.metric
        drill = self.drill
        if drill is not None and drill.slice_metric is None and metric == drill.measure:
            self.compute_focus(req, by, drill)
            return
        self.query_one("#slice-caption", Label).update(
            shown(
                f"{self.model} {req.since:%m-%d %H:%M} → {req.until:%m-%d %H:%M}"
                + (f" · {' '.join(self.filters)}" if self.filters else "")
                + " · computing…"
            )
        )

        def job() -> SlicesAnswer:
            store = app.reader()
            # Rebuild stale rollups if the store is free; if not, raw rows answer.
            with contextlib.suppress(StoreBusyError):
                refresh(app.writer(), app.settings, self.model)
            with store.read() as con:
                rows, source = slice_metrics(con, req, by, metric)
                worst, summary, _ = worst_slices(con, req, metric)
                shown = metric or primary_metric(req.model)
                # The estimate's fit takes seconds: it follows from its own worker.
                pending = shown in ESTIMATED_METRICS[req.model.task]
                series = metric_series(con, req, metric, None)
            if pending:  # no uncalibrated estimate meanwhile
                series = [replace(s, estimated=None, band=None) for s in series]
            return SlicesAnswer(req, shown, rows, source, worst, summary, series, None, pending)

        what = f"slices of {self.model}"
        run_store_job(self, what, job, SlicesComputed, group="slices", exclusive=True)

    def compute_estimate(self, d: SlicesAnswer) -> None:
        """The metric over time with its estimate and band (fitted on the reference)."""
        app, what = self.oncall, f"estimate of {self.model}"
        job = lambda: estimate_answer(app.reader(), app.settings, d.req, d.metric)  # noqa: E731
        run_store_job(self, what, job, SlicesComputed, group="slice-estimate", exclusive=True)

    def compute_focus(self, req: Request, by: list[str], drill: Drill) -> None:
        """The slices ranked by the share of the alert's offending rows."""
        app = self.oncall

        def job() -> FocusAnswer:
            with app.reader().read() as con:
                return FocusAnswer(req, drill, focus_slices(con, req, by, drill.focus))

        run_store_job(self, f"slices of {self.model}", job, SlicesComputed, group="slices")

    def on_slices_computed(self, message: SlicesComputed) -> None:
        message.stop()
        if isinstance(message.result, FocusAnswer):
            self.render_focus(message.result)
        elif isinstance(message.result, EstimateAnswer):
            self.render_estimate(message.result)
        else:
            self.render_slices(message.result)

    def on_examples_page_loaded(self, message: ExamplesPageLoaded) -> None:
        message.stop()
        opened, key, page = message.opened, message.key, message.page
        if opened != self.opened:
            return  # a late answer for rows opened before the current ones
        self.prefetched[key] = page
        if key == self.pages[-1]:
            self.show_page(page)
            nxt = page["next"]
            if nxt is not None and nxt not in self.prefetched:
                self.fetch_page(nxt)

    def render_focus(self, d: FocusAnswer) -> None:
        """The slices by the alert's offending rows; a drift alert's bins beside them."""
        drill, req = d.drill, d.req
        measure = drill.measure
        self.rows, self.worst = [], []
        self.focus_rows = d.slices
        self.query_one("#slice-caption", Label).update(
            shown(
                drill_caption(self.drill)
                + f"{req.since:%m-%d %H:%M} → {req.until:%m-%d %H:%M} · worst {measure} first"
            )
        )
        cells, columns = focus_table(d.slices, drill)
        self.query_one("#slice-table", Table).show_rows(cells, columns, keep_cursor=False)
        self.query_one("#worst-table", Table).show_rows(*bin_table(drill), keep_cursor=False)
        self.refresh_bindings()

    def render_slices(self, d: SlicesAnswer) -> None:
        metric = d.metric
        self.rows, self.worst = d.rows, d.worst
        self.focus_rows = []
        req = d.req
        self.query_one("#slice-caption", Label).update(
            shown(
                drill_caption(self.drill)
                + f"{self.model} {req.since:%m-%d %H:%M} → {req.until:%m-%d %H:%M}"
                + (f" · {' '.join(self.filters)}" if self.filters else "")
                + f" · worst {metric} first · from {d.source}"
            )
        )
        # A recompute with the same answer leaves the tables (cursor, scroll) alone.
        cells, columns = slice_table(self.rows, metric)
        self.query_one("#slice-table", Table).show_rows(cells, columns, keep_cursor=False)
        cells, columns = worst_table(self.worst, metric)
        self.query_one("#worst-table", Table).show_rows(cells, columns, keep_cursor=False)
        self.shown_req = req if d.estimate_pending else None
        plots, caption, marks = metric_plots(d.series, metric, None, d.estimate_pending)
        self.query_one("#slice-plot", SeriesPlot).plot(plots, None, caption, marks=marks)
        self.refresh_bindings()
        if d.estimate_pending:
            self.compute_estimate(d)

    def render_estimate(self, d: EstimateAnswer) -> None:
        if d.req is self.shown_req:  # else a late answer for controls since changed
            plots, caption, marks = metric_plots(d.series, d.metric, d.no_estimate)
            self.query_one("#slice-plot", SeriesPlot).plot(plots, None, caption, marks=marks)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Paging and marking show in the key bar only while rows are open, and only
        where there is a page to go to."""
        if not self.is_mounted:
            return True
        page = self.page  # None until rows are open and their first page is here
        if action == "next_page":
            return page is not None and page["next"] is not None
        if action == "previous_page":
            return page is not None and len(self.pages) > 1
        if action in ("mark", "copy_row"):
            return page is not None and bool(page["rows"])
        if action == "examples":
            return bool(self.rows) or bool(self.focus_rows)
        return True

    # ------------------------------------------------------------ controls

    def on_select_changed(self, event: Select.Changed) -> None:
        if (
            event.select.id == "slice-model"
            and isinstance(event.value, str)
            and event.value != self.model
        ):
            self.model, self.filters, self.drill = event.value, [], None
            self._default_by()
            self._metric_options()
            self.compute()
        elif (
            event.select.id == "slice-metric"
            and isinstance(event.value, str)
            and event.value != self.metric
        ):
            self.metric = event.value
            self.compute()

    def action_where(self) -> None:
        """Open the where box: the same structured filter as `--where`."""
        box = self.query_one("#slice-where", Input)
        box.remove_class("hidden")
        box.focus()

    def action_close_where(self) -> None:
        """Esc in the where box clears and closes it; elsewhere Esc is the app's."""
        box = self.query_one("#slice-where", Input)
        if not box.has_focus:
            raise SkipAction()
        box.value = ""
        box.add_class("hidden")
        self.query_one("#where-error", Label).add_class("hidden")
        if self.filters:
            self.filters = []
            self.compute()
            if self.example_filters is not None:
                self.open_examples(self.example_filters)
        self.query_one("#slice-table", DataTable).focus()

    def apply_where(self, text: str) -> None:
        """Filter by the where box (the `--where` parser; a mistake is said in words)."""
        error = self.query_one("#where-error", Label)
        wanted = [text] if text.strip() else []
        try:
            parse_filters(self.model, self.oncall.settings.model(self.model), wanted)
        except OncallError as exc:
            error.update(shown(f"where: {exc.message}"))
            error.remove_class("hidden")
            return
        error.add_class("hidden")
        self.filters = wanted
        self.compute()
        if self.example_filters is not None:
            self.open_examples(self.example_filters)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "slice-where":
            event.stop()
            self.apply_where(event.value)
            return
        if event.input.id == "slice-by":
            self.by = event.value
        elif event.input.id == "slice-window":
            self.window = event.value
        self.compute()

    def show_for(
        self,
        model: str,
        slice_: dict[str, str] | None,
        feature: str | None,
        start: datetime,
        end: datetime,
    ) -> None:
        """Open on a model, slice and window (a drill-down with no alert to read)."""
        self.drill = None
        self.model = model
        self.query_one("#slice-model", Select).value = model
        self._metric_options()
        columns = list(slice_ or {})
        self.by = ",".join(columns) or ",".join(self.oncall.settings.model(model).slices[:1])
        self.query_one("#slice-by", Input).value = self.by
        self.window = f"{start:%Y-%m-%dT%H:%M}..{end:%Y-%m-%dT%H:%M}"
        self.query_one("#slice-window", Input).value = self.window
        self.filters = []
        self.loaded_once = True
        self.compute()
        self.open_examples(slice_pairs(slice_))

    def show_alert(self, alert_id: int) -> None:
        """Open on an alert's own terms: its measure, episode window and offending rows."""
        app = self.oncall
        self.loaded_once = True
        self.query_one("#slice-caption", Label).update(f"reading alert #{alert_id}…")
        now = app.current_time()

        def job() -> Drill:
            return drill_for(app.reader(), app.settings, alert_id, now)

        run_store_job(self, f"alert #{alert_id}", job, DrillLoaded, group="slices")

    def on_drill_loaded(self, message: DrillLoaded) -> None:
        message.stop()
        self.drill = drill = message.drill
        self.model = drill.model
        self.query_one("#slice-model", Select).value = drill.model
        self._metric_options()
        columns = list(drill.slice or {})
        self.by = ",".join(columns) or ",".join(self.oncall.settings.model(drill.model).slices[:1])
        self.query_one("#slice-by", Input).value = self.by
        self.window = f"{drill.since:%Y-%m-%dT%H:%M}..{drill.until:%Y-%m-%dT%H:%M}"
        self.query_one("#slice-window", Input).value = self.window
        self.filters = []
        self.compute()
        self.open_examples(drill.where)

    # ------------------------------------------------------------ examples

    def selected_filters(self) -> list[str] | None:
        focused = self.app.focused
        if isinstance(focused, DataTable) and focused.id == "worst-table" and self.worst:
            r = self.worst[focused.cursor_row] if focused.cursor_row < len(self.worst) else None
            return slice_pairs(r.slice) if r else None
        table = self.query_one("#slice-table", DataTable)
        if self.focus_rows and not self.rows:
            if table.cursor_row >= len(self.focus_rows):
                return None
            return slice_pairs(self.focus_rows[table.cursor_row].slice)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return slice_pairs(self.rows[table.cursor_row].slice)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # The tables take Enter themselves and say so with RowSelected.
        if event.data_table.id in ("slice-table", "worst-table"):
            event.stop()
            self.action_examples()

    def action_examples(self) -> None:
        filters = self.selected_filters()
        if filters is not None:
            self.open_examples(filters)

    def open_examples(self, filters: list[str], *, keep_marked: bool = False) -> None:
        self.example_filters = filters
        self.opened += 1
        marked = self.marked if keep_marked else set()
        self.page, self.pages, self.prefetched, self.marked = None, [None], {}, marked
        self.refresh_bindings()
        self.query_one("#example-caption", Label).remove_class("hidden")
        self.query_one("#example-caption", Label).update(shown(f"{' '.join(filters)}: reading…"))
        rows = self.query_one("#example-rows", RowsView)
        rows.remove_class("hidden")
        self.query_one("#slice-plot", SeriesPlot).add_class("hidden")
        self.fetch_page(None)
        rows.focus()

    def fetch_page(self, key: str | None) -> None:
        app = self.oncall
        # The rows of the chosen slice, narrowed by the where box.
        req = self.request([*(self.example_filters or []), *self.filters])
        wrong, opened = self.wrong, self.opened
        focus: Focus | None = self.drill.focus if self.drill is not None else None

        def job() -> tuple[int, str | None, dict[str, Any]]:
            with app.reader().read() as con:
                page = examples_page(con, req, wrong=wrong, limit=PAGE, after=key, focus=focus)
            # The pane keeps a page as its printed form, the dict `oncall examples` shows.
            return opened, key, page.to_json()

        run_store_job(self, "rows", job, lambda d: ExamplesPageLoaded(*d), group=f"examples-{key}")

    def show_page(self, page: dict[str, Any]) -> None:
        self.page = page
        spec = self.oncall.settings.model(self.model)
        lead = self.drill.feature if self.drill is not None else None
        columns, rows = example_table(spec, page["rows"], self.marked, lead)
        self.query_one("#example-rows", RowsView).set_rows(columns, rows)
        self.refresh_bindings()
        first = (len(self.pages) - 1) * PAGE + 1
        what = " ".join([*(self.example_filters or []), *self.filters]) or "all rows"
        if self.drill is not None:
            what += f" · {self.drill.focus.what}"
        self.caption = (
            f"{what}{', wrong only' if self.wrong else ''}: page {len(self.pages)}, "
            + (f"rows {first:,}–{first + len(rows) - 1:,}" if rows else "no rows")
            + (" · ] next page" if page["next"] is not None else " · last page")
            + (" · [ previous" if len(self.pages) > 1 else "")
        )
        self.query_one("#example-caption", Label).update(shown(self.caption + self.marked_note()))

    def action_wrong(self) -> None:
        self.wrong = not self.wrong
        if self.example_filters is not None:
            # The same rows' marks stay: `w` only narrows what is shown.
            self.open_examples(self.example_filters, keep_marked=True)

    def action_next_page(self) -> None:
        if self.page is None or self.page["next"] is None:
            return
        key = self.page["next"]
        self.pages.append(key)
        if key in self.prefetched:
            page = self.prefetched[key]
            self.show_page(page)
            if page["next"] is not None and page["next"] not in self.prefetched:
                self.fetch_page(page["next"])
        else:
            self.fetch_page(key)

    def action_previous_page(self) -> None:
        if len(self.pages) <= 1:
            return
        self.pages.pop()
        key = self.pages[-1]
        if key in self.prefetched:
            self.show_page(self.prefetched[key])

    def action_mark(self) -> None:
        rows = self.query_one("#example-rows", RowsView)
        if self.page is None or not self.page["rows"] or rows.has_class("hidden"):
            return
        pid = str(self.page["rows"][rows.cursor_row]["prediction_id"])
        self.marked.symmetric_difference_update({pid})
        rows.update_cell(rows.cursor_row, 0, "•" if pid in self.marked else "")
        # The caption counts the marked rows, on every page.
        self.query_one("#example-caption", Label).update(shown(self.caption + self.marked_note()))

    def marked_note(self) -> str:
        """How many rows are marked (on any page), for the caption."""
        return f" · {len(self.marked):,} marked" if self.marked else ""

    def action_copy_row(self) -> None:
        """Copy the example row under the cursor as `column: value` text."""
        rows = self.query_one("#example-rows", RowsView)
        if self.page is None or not self.page["rows"] or rows.has_class("hidden"):
            return
        row = self.page["rows"][rows.cursor_row]
        self.app.copy_to_clipboard(
            "\n".join(f"{name}: {'' if v is None else v}" for name, v in row.items())
        )
        self.notify(f"copied row {row['prediction_id']} to the clipboard")

    def action_versions(self) -> None:
        columns = [c for c in self.by.split(",") if c and c != "model_version"]
        self.by = ",".join(["model_version", *columns])
        self.query_one("#slice-by", Input).value = self.by
        self.compute()

    def action_compute(self) -> None:
        self.compute()

    @changes_state
    def action_file_bug(self) -> None:
        req = self.request(self.example_filters or self.selected_filters() or [])
        where = [f.text for f in req.filters]
        prefill: dict[str, Any] = {
            "model": self.model,
            "title": f"{self.model}: {' '.join(where) or 'all rows'} underperforms",
            "description": f"From the slice explorer, window {req.since:%Y-%m-%d %H:%M} → "
            f"{req.until:%Y-%m-%d %H:%M}.",
            "priority": "P2",
        }
        if self.marked:
            prefill["predictions"] = sorted(self.marked)
            prefill["links_text"] = f"links {len(self.marked)} marked rows"
        elif where:
            prefill.update(
                where=where,
                since=req.since,
                until=req.until,
                links_text=f"links slice {' '.join(where)} over the window",
            )
        self.app.push_screen(BugForm(prefill), self._file)

    def _file(self, form: dict[str, Any] | None) -> None:
        if form is not None:
            self.post_message(BugRequested(new_bug(form)))
