"""The slice explorer: metrics per slice, the worst slices, the rows behind them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select

from tui.app.dialogs import BugForm
from tui.app.dialogs.bug_form import new_bug
from tui.app.gateway import run_store_job
from tui.app.messages import BugRequested, ExamplesPageLoaded, SlicesComputed
from tui.app.panes.base import Pane
from tui.app.widgets.plot import Series, SeriesPlot
from tui.app.widgets.rows import Column, RowsView
from tui.app.widgets.safe import shown
from tui.app.widgets.table import Table
from tui.core.checks.estimated import daily_estimate
from tui.core.config.settings import CHECKS_ONLY_METRICS, ESTIMATED_METRICS, METRICS_BY_TASK
from tui.core.config.times import floor_time, parse_timestamp, trailing_start
from tui.core.errors import OncallError, StoreBusyError
from tui.core.ingest.rollups import refresh
from tui.core.slices.examples import examples_page
from tui.core.slices.explore import metric_series, slice_metrics, worst_slices
from tui.core.slices.records import SeriesPoint, SliceRow, WorstSlice, WorstSummary
from tui.core.slices.request import Request, primary_metric
from tui.core.store.filters import parse_filters
from tui.core.store.sqlparts import slice_value
from tui.core.words import interval, num, pct, slice_pairs, slice_text, when

PAGE = 200


@dataclass(frozen=True)
class SlicesAnswer:
    """One recompute: the slices, the worst of them and the metric over time."""

    req: Request
    metric: str
    rows: list[SliceRow]
    source: str
    worst: list[WorstSlice]
    summary: WorstSummary
    series: list[SeriesPoint]
    # Why the metric has no estimate beside it, when it could have one.
    no_estimate: str | None = None


class SliceExplorer(Pane):
    """Pick model, window, slice columns and metric; see slices worst first; open rows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "examples", "Rows", tooltip="Show the rows behind the selected slice"),
        Binding("w", "wrong", "Wrong only", tooltip="Only labelled rows the model got wrong"),
        Binding("right_square_bracket", "next_page", "Next page"),
        Binding("left_square_bracket", "previous_page", "Prev page"),
        Binding("space", "mark", "Mark row", tooltip="Select example rows for a bug"),
        Binding("b", "file_bug", "Bug", tooltip="File a bug from the slice or the marked rows"),
        Binding("v", "versions", "Versions", tooltip="Compare model versions side by side"),
        Binding("ctrl+r", "compute", "Recompute"),
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
        select.set_options([(m, m) for m in METRICS_BY_TASK[task] if m not in CHECKS_ONLY_METRICS])
        self.metric = primary_metric(self.oncall.settings.model(self.model))
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
                report, why = None, None
                if shown in ESTIMATED_METRICS[req.model.task]:
                    report, why = daily_estimate(con, app.settings, req)
                series = metric_series(con, req, metric, report)
            return SlicesAnswer(req, shown, rows, source, worst, summary, series, why)

        run_store_job(
            self,
            f"slices of {self.model}",
            job,
            SlicesComputed,
            group="slices",
            exclusive=True,
        )

    def on_slices_computed(self, message: SlicesComputed) -> None:
        message.stop()
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

    def render_slices(self, d: SlicesAnswer) -> None:
        metric = d.metric
        self.rows, self.worst = d.rows, d.worst
        req = d.req
        self.query_one("#slice-caption", Label).update(
            shown(
                f"{self.model} {req.since:%m-%d %H:%M} → {req.until:%m-%d %H:%M}"
                + (f" · {' '.join(self.filters)}" if self.filters else "")
                + f" · worst {metric} first · from {d.source}"
            )
        )
        widths = {"slice": 34, "n": 9, "labeled": 7, metric: 8, "95% CI": 13, "diff": 8}
        slice_rows: list[tuple[str, tuple[str | Text, ...]]] = []
        for i, r in enumerate(self.rows):
            diff = r.diff(metric)
            red = diff is not None and diff < 0
            cells = (
                slice_text(r.slice) or "(all)",
                f"{r.n:,}",
                pct(r.coverage),
                num(r.value(metric)),
                interval(r.interval(metric)),
                Text(num(diff), style="red" if red else ""),
            )
            slice_rows.append((f"s{i}", cells))
        # A recompute with the same answer leaves the tables (cursor, scroll) alone.
        table = self.query_one("#slice-table", Table)
        table.show_rows(slice_rows, tuple(widths.items()), keep_cursor=False)
        worst_columns = (("worst slices", 30), ("labeled", 8), (metric, 8), ("lift", 5))
        worst_rows: list[tuple[str, tuple[str | Text, ...]]] = [
            (
                f"w{i}",
                (slice_text(r.slice), f"{r.n_labeled:,}", num(r.value), num(r.lift)),
            )
            for i, r in enumerate(self.worst)
        ]
        if not self.worst:
            worst_rows.append(("none", ("no slice clearly worse", "", "", "")))
        self.query_one("#worst-table", Table).show_rows(
            worst_rows, worst_columns, keep_cursor=False
        )
        series = d.series
        plots = [Series(f"{metric} (labels)", [s.value for s in series])]
        if any(s.estimated is not None for s in series):
            plots.append(Series(f"{metric} (estimate)", [s.estimated for s in series], "○", "cyan"))
        if any(s.band is not None for s in series):
            plots.append(
                Series(
                    "95% band",
                    [s.band[0] if s.band else None for s in series],
                    "·",
                    "cyan",
                )
            )
            plots.append(Series("", [s.band[1] if s.band else None for s in series], "·", "cyan"))
        first = series[0].day if series else None
        caption = f"per day from {first:%m-%d}" if first else ""
        if d.no_estimate:
            caption += f"; no estimate: {d.no_estimate}"
        # Days whose labels are still arriving: their realised value may yet move.
        marks = ["incomplete" if s.labels_complete is False else "" for s in series]
        self.query_one("#slice-plot", SeriesPlot).plot(
            plots, None, caption, marks=marks if any(marks) else None
        )
        self.refresh_bindings()

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
        if action == "mark":
            return page is not None and bool(page["rows"])
        if action == "examples":
            return bool(self.rows)
        return True

    # ------------------------------------------------------------ controls

    def on_select_changed(self, event: Select.Changed) -> None:
        if (
            event.select.id == "slice-model"
            and isinstance(event.value, str)
            and event.value != self.model
        ):
            self.model, self.filters = event.value, []
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

    def on_input_submitted(self, event: Input.Submitted) -> None:
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
        """Open on an alert's model, slice and window (the drill-down from the stream)."""
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

    # ------------------------------------------------------------ examples

    def selected_filters(self) -> list[str] | None:
        focused = self.app.focused
        if isinstance(focused, DataTable) and focused.id == "worst-table" and self.worst:
            r = self.worst[focused.cursor_row] if focused.cursor_row < len(self.worst) else None
            return slice_pairs(r.slice) if r else None
        table = self.query_one("#slice-table", DataTable)
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

    def open_examples(self, filters: list[str]) -> None:
        self.example_filters = filters
        self.opened += 1
        self.page, self.pages, self.prefetched, self.marked = None, [None], {}, set()
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
        req = self.request(self.example_filters or [])
        wrong, opened = self.wrong, self.opened

        def job() -> tuple[int, str | None, dict[str, Any]]:
            with app.reader().read() as con:
                page = examples_page(con, req, wrong=wrong, limit=PAGE, after=key)
            # The pane keeps a page as its printed form, the dict `oncall examples` shows.
            return opened, key, page.to_json()

        run_store_job(self, "rows", job, lambda d: ExamplesPageLoaded(*d), group=f"examples-{key}")

    def show_page(self, page: dict[str, Any]) -> None:
        self.page = page
        spec = self.oncall.settings.model(self.model)
        widths = {"prediction_id": 14, "ts": 11, "score": 7, "label": 8, "prediction": 10}
        columns = [
            Column("", 1),
            *(
                Column(name, widths.get(name, max(len(name), 8)))
                for name in ("prediction_id", "ts", *spec.slices, "prediction", "score", "label")
            ),
            Column("delay h", 7),
            # A feature that is also a slice is shown once, with the slices.
            *(Column(f, max(len(f), 8)) for f in spec.features if f not in spec.slices),
        ]
        rows = []
        for r in page["rows"]:
            wrong = r["correct"] is False
            rows.append(
                (
                    "•" if str(r["prediction_id"]) in self.marked else "",
                    Text(str(r["prediction_id"]), style="red" if wrong else ""),
                    when(r["ts"]),
                    *(slice_value(r[c]) for c in spec.slices),
                    str(r["prediction"]),
                    num(r["score"]),
                    str(r["label"] or "—"),
                    num(r["delay_hours"]),
                    *(
                        num(r[f]) if isinstance(r[f], float) else str(r[f])
                        for f in spec.features
                        if f not in spec.slices
                    ),
                )
            )
        self.query_one("#example-rows", RowsView).set_rows(columns, rows)
        self.refresh_bindings()
        first = (len(self.pages) - 1) * PAGE + 1
        what = " ".join(self.example_filters or []) or "all rows"
        self.query_one("#example-caption", Label).update(
            shown(
                f"{what}{', wrong only' if self.wrong else ''}: page {len(self.pages)}, "
                + (f"rows {first:,}–{first + len(rows) - 1:,}" if rows else "no rows")
                + (" · ] next page" if page["next"] is not None else " · last page")
                + (" · [ previous" if len(self.pages) > 1 else "")
            )
        )

    def action_wrong(self) -> None:
        self.wrong = not self.wrong
        if self.example_filters is not None:
            self.open_examples(self.example_filters)

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

    def action_versions(self) -> None:
        columns = [c for c in self.by.split(",") if c and c != "model_version"]
        self.by = ",".join(["model_version", *columns])
        self.query_one("#slice-by", Input).value = self.by
        self.compute()

    def action_compute(self) -> None:
        self.compute()

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
