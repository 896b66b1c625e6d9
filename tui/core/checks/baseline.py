"""Baselines: what drift compares against, as histograms computed once and cached.

A model's baseline (``baseline:`` in its config) is one of four kinds: a window of
stored predictions (``start``/``end``), a reference file in the predictions contract
(``file``), the stored predictions of one ``model_version`` in its first week, or the
trailing ``last`` duration before each evaluated day, leaving out windows when a drift
or data-quality alert of the model fired. Without one, it is the model's first week.

From the baseline's rows come bin edges at quantiles for numeric features and the score,
value frequencies for categorical features, and per-slice score histograms; from a
labelled reference file also its own metrics, the offline numbers of the offline gap
where ``offline:`` names none. All are cached in ``baseline_bins`` under a key that
says what they were computed from: the window, the file's SHA-256 (an edited file is
read again, an unchanged one never), the version's first week (its span while shorter;
the superseded keys are dropped), or the trailing window and the alerted spans left
out of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb

from tui.core.checks.counts import (
    bin_counts,
    category_counts,
    merge_windows,
    score_bin_counts,
)
from tui.core.checks.families import BEFORE_LABELS
from tui.core.checks.reference import (
    hash_reference,
    reference_metrics,
    reference_path,
    staged_reference,
)
from tui.core.checks.results import FAILING, Result
from tui.core.config.settings import Model, Settings
from tui.core.config.times import Months, floor_time, period_longest, trailing_start
from tui.core.ingest.load import sync_columns
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.sqlparts import (
    Fragment,
    ident,
    predictions_table,
    raw,
)

# The result kinds whose firing alerts keep their windows out of a rolling baseline.
ALERTED_KINDS = BEFORE_LABELS
# Spans of time [start, end), in order.
Spans = tuple[tuple[datetime, datetime], ...]
# The cache row of a reference file's facts; no feature name can start with "@".
FACTS = "@reference"
# The cache row of a stored window's state when its bins were computed: its rows and
# newest ingest. Rows arriving late in the window change it, and the bins are redone.
STATE = "@rows"


@dataclass(frozen=True)
class Histogram:
    """A baseline distribution: numeric (edges) or categorical (categories)."""

    feature: str
    edges: tuple[float, ...] | None
    categories: tuple[str, ...] | None
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def share(self, category: str) -> float:
        """A category's share of the baseline (0 when unseen)."""
        if not self.categories or not self.total:
            return 0.0
        try:
            return self.counts[self.categories.index(category)] / self.total
        except ValueError:
            return 0.0


@dataclass(frozen=True)
class BaselineSource:
    """Where one baseline's rows come from, and the cache key (without the bins) that
    names them. ``window`` is the rows' time range where it is known before reading."""

    kind: str  # first_week | window | file | model_version | last
    key: str
    window: tuple[datetime, datetime]
    path: Path | None = None
    model_version: str | None = None
    skip: Spans = ()
    problem: str | None = None


@dataclass
class BaselineData:
    """One baseline as the checks use it: histograms by feature (``score``,
    ``score|col=value``), the reference file's own metrics, and what it was."""

    source: BaselineSource
    histograms: dict[str, Histogram] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    rows: int | None = None
    labeled: int | None = None
    window: tuple[datetime, datetime] | None = None


def baseline_window(model: Model, first_ts: datetime) -> tuple[datetime, datetime]:
    """A start/end baseline as [start, end) (a date end takes in its whole day), else
    the model's first week."""
    configured = model.baseline.window() if model.baseline else None
    if configured is not None:
        return configured
    start = first_ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=7)


def prepare_references(
    store: Store, settings: Settings, model_names: Iterable[str], now: datetime
) -> None:
    """Read (or find cached) the reference file of every named model that has one, in
    one transaction before any model is checked: a file that is missing, unreadable
    or malformed raises InputError (exit 2) or FileUnreadable (exit 74) and nothing at
    all is written. Nothing happens for models with other kinds of baseline."""
    wanted = [n for n in model_names if reference_path(settings, settings.model(n)) is not None]
    if not wanted:
        return
    with store.write() as con:
        # A binary model's classes are checked against the stored ones: its table exists.
        sync_columns(con, settings)
        for name in wanted:
            # `first_ts` only places a window; a file's rows bring their own.
            load_baseline(con, settings, name, settings.model(name), now, now)


def rolling_period(model: Model) -> timedelta | None:
    """For a ``last:`` baseline, the stretch of windows that share one baseline: a day
    (so it is computed once a day, not once a window), or ``last`` when shorter."""
    if model.baseline is None or model.baseline.last is None:
        return None
    last = model.baseline.last
    # Calendar months are always longer than a day.
    return timedelta(days=1) if isinstance(last, Months) else min(last, timedelta(days=1))


# A model-version baseline is the version's first week of predictions.
VERSION_WEEK = timedelta(days=7)


def version_prefix(version: str) -> str:
    """The start of every cache key of a ``model_version`` baseline of ``version``.

    The version is percent-encoded (``v1:2026`` → ``v1%3A2026``), so it holds no ``:``
    or ``/`` and no version's prefix starts another's keys; plain names (``v3``,
    ``2026-11.1``) read as before, so the keys stores hold still match."""
    return f"version:{quote(version, safe='')}:"


def _stamp(moment: datetime) -> str:
    # Whole hours keep the key format stores already hold.
    if moment.minute == moment.second == moment.microsecond == 0:
        return f"{moment:%Y-%m-%dT%H}"
    return moment.isoformat()


def _window_key(start: datetime, end: datetime) -> str:
    return f"{_stamp(start)}/{_stamp(end)}"


def baseline_source(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    first_ts: datetime,
    at: datetime | None = None,
    fired: Spans = (),
) -> BaselineSource:
    """Where the baseline of windows starting at ``at`` comes from (``at`` and
    ``fired`` matter only for a rolling baseline, which leaves out the spans of the
    model's stored alerts and ``fired``: the failing windows of the run under way).
    Reads no rows, only the file's bytes (for its hash), the version's row count or
    the alerts; raises InputError (exit 2) or FileUnreadable (exit 74) for a
    reference file that is missing or cannot be read."""
    spec = model.baseline
    table = predictions_table(model_name)
    if spec is None or spec.kind == "window":
        start, end = baseline_window(model, first_ts)
        return BaselineSource(
            "window" if spec else "first_week", _window_key(start, end), (start, end)
        )
    if spec.kind == "file":
        path = reference_path(settings, model)
        assert path is not None
        digest = hash_reference(model_name, path)
        return BaselineSource("file", f"file:{digest}", (first_ts, first_ts), path=path)
    if spec.kind == "model_version":
        version = str(spec.model_version)
        found = fetch_rows(con, "baseline_version_span", {"model_version": version}, table=table)[0]
        if not found["n"]:
            problem = (
                f"{settings.path}: models.{model_name}.baseline.model_version: no stored "
                f"predictions of model_version {version!r}; drift is not checked"
            )
            return BaselineSource(
                "model_version", "", (first_ts, first_ts), model_version=version, problem=problem
            )
        # The version's first week from midnight (to a second past its last row when it
        # served less):
        # a version still served gains rows with every ingest, and a baseline of all of
        # them would move (and be computed and cached again) on every check.
        start = floor_time(found["first_ts"], timedelta(days=1))
        end = min(start + VERSION_WEEK, found["last_ts"] + timedelta(seconds=1))
        key = f"{version_prefix(version)}{_window_key(start, end)}"
        return BaselineSource("model_version", key, (start, end), model_version=version)
    period = rolling_period(model)
    assert period is not None and spec.last is not None
    # Drift judged in this period reads rows as far back as one trailing drift window
    # before its first window: the baseline ends before them, or a shift would sit on
    # both sides of the comparison and read smaller than it is.
    lookback = max(
        period_longest(model.checks.drift.window) - period_longest(model.checks.window),
        timedelta(0),
    )
    end = floor_time(at or first_ts, period) - lookback
    start = trailing_start(end, spec.last)
    rows = fetch_rows(
        con,
        "baseline_alerted_spans",
        {"model": model_name, "kinds": list(ALERTED_KINDS), "start": start, "end": end + lookback},
    )
    alerted = [(r["span_start"], r["span_end"]) for r in rows]
    alerted += [(s, e) for s, e in fired if s < end + lookback and e > start]
    # An episode's rows begin up to one trailing window before its first failing one.
    # Clipped to the window, so an episode that goes on after it keeps the key stable.
    skip = _merged(
        (max(s - lookback, start), min(e, end)) for s, e in alerted if s - lookback < end
    )
    digest = hashlib.sha256(repr(skip).encode()).hexdigest()[:16]
    return BaselineSource(
        "last", f"last:{_stamp(start)}/{_stamp(end)}/{digest}", (start, end), skip=skip
    )


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> Spans:
    """``spans`` in order, overlapping and touching ones joined into one."""
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def failing_spans(results: Iterable[Result]) -> Spans:
    """The windows of ``results`` of the drift and data-quality kinds that failed,
    joined where they touch: what a rolling baseline leaves out of a run's later
    days before they are stored as alerts."""
    return _merged(
        (r.window_start, r.window_end)
        for r in results
        if r.kind in ALERTED_KINDS and r.status in FAILING
    )


def cached_rows(con: duckdb.DuckDBPyConnection, model_name: str, key: str) -> list[dict[str, Any]]:
    """The cached bins of one baseline key, one row per feature (empty if none)."""
    return fetch_rows(con, "baseline_get", {"model": model_name, "baseline_key": key})


def from_cache(source: BaselineSource, rows: list[dict[str, Any]]) -> BaselineData:
    """The baseline of ``source`` as cached in ``rows`` (of :func:`cached_rows`)."""
    found = BaselineData(source)
    for r in rows:
        name = str(r["feature"])
        if name == STATE:
            continue
        if name == FACTS:
            # counts: rows, labelled rows, first and last time (epoch seconds);
            # categories and edges: the reference's metric names and values.
            n, labeled, first, last = (int(c) for c in r["counts"])
            found.rows, found.labeled = n, labeled
            found.window = (_from_epoch(first), _from_epoch(last))
            found.metrics = dict(
                zip(r["categories"] or [], (float(v) for v in r["edges"] or []), strict=True)
            )
            continue
        found.histograms[name] = Histogram(
            name,
            tuple(r["edges"]) if r["edges"] is not None else None,
            tuple(r["categories"]) if r["categories"] is not None else None,
            tuple(int(c) for c in r["counts"]),
        )
    if found.window is None:
        found.window = source.window
    return found


_EPOCH = datetime(1970, 1, 1)


def _epoch(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


def _from_epoch(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def load_baseline(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    first_ts: datetime,
    now: datetime,
    at: datetime | None = None,
    fired: Spans = (),
    defer: list[CacheWrite] | None = None,
) -> BaselineData:
    """The baseline of windows starting at ``at`` (``fired``: see baseline_source):
    its histograms for every feature, the score overall and per slice value (keys
    ``score`` and ``score|col=value``), and a labelled reference file's metrics;
    computed and cached on first use. With ``defer`` (a check run's evaluation, which
    only reads) the cache writes are appended there for the caller to make in its
    write transaction, rather than made on ``con``.

    A reference file is read through a private snapshot (what is hashed is what is
    read) and checked row by row as a predictions file is: a bad one raises
    InputError naming the file, and nothing is cached."""
    source = baseline_source(con, settings, model_name, model, first_ts, at, fired)
    if source.problem is not None:
        return BaselineData(source)
    bins = model.checks.drift.bins
    if source.kind in ("window", "first_week") and source.window[1] > now:
        # A window still filling (the first week, a baseline that ends after now): a
        # pipeline delivering every few hours would otherwise freeze the bins of its
        # first hours under the window's key. Computed afresh, cached once complete.
        return _compute_source(con, settings, model_name, model, source, now)
    key = f"{source.key}/{bins}"
    rows = cached_rows(con, model_name, key)
    state = _window_state(con, model_name, source)
    if rows and (state is None or _cached_state(rows) == state):
        return from_cache(source, rows)
    found = _compute_source(con, settings, model_name, model, source, now)
    stale, key = (key if rows else None), f"{found.source.key}/{bins}"

    def write(target: duckdb.DuckDBPyConnection) -> None:
        if stale is not None:  # late rows in the window since its bins were cached
            execute(target, "baseline_drop_key", {"model": model_name, "baseline_key": stale})
        if state is not None:
            _put(target, model_name, key, STATE, None, None, state, now)
        if source.kind == "model_version" and source.model_version is not None:
            # A version's first week still filling: the bins of its earlier days go.
            prefix = version_prefix(source.model_version)
            params = {"model": model_name, "prefix": prefix, "keep": key}
            execute(target, "baseline_drop_version", params)
        for h in found.histograms.values():
            _put(target, model_name, key, h.feature, h.edges, h.categories, h.counts, now)
        if source.kind == "file" and found.window is not None:
            names = sorted(found.metrics)
            facts = (found.rows or 0, found.labeled or 0, *map(_epoch, found.window))
            metrics = tuple(found.metrics[m] for m in names)
            _put(target, model_name, key, FACTS, metrics, tuple(names), facts, now)

    if defer is None:
        write(con)
    else:
        defer.append(write)
    return found


# A cache write of load_baseline, made later on a write connection.
CacheWrite = Callable[[duckdb.DuckDBPyConnection], None]


def _window_state(
    con: duckdb.DuckDBPyConnection, model_name: str, source: BaselineSource
) -> tuple[int, int] | None:
    """(rows, newest ingest) of a baseline window of stored predictions (None for the
    other kinds): one count over a window of fixed size, whatever the history."""
    if source.kind not in ("window", "first_week"):
        return None
    found = fetch_rows(
        con,
        "baseline_window_state",
        {"start": source.window[0], "end": source.window[1]},
        table=predictions_table(model_name),
    )[0]
    return int(found["n"]), int(found["last_ingest"])


def _cached_state(rows: list[dict[str, Any]]) -> tuple[int, ...] | None:
    return next((tuple(int(c) for c in r["counts"]) for r in rows if r["feature"] == STATE), None)


def _put(
    con: duckdb.DuckDBPyConnection,
    model_name: str,
    key: str,
    feature: str,
    edges: tuple[float, ...] | None,
    categories: tuple[str, ...] | None,
    counts: tuple[int, ...],
    now: datetime,
) -> None:
    execute(
        con,
        "baseline_put",
        {
            "model": model_name,
            "feature": feature,
            "baseline_key": key,
            "edges": list(edges) if edges is not None else None,
            "categories": list(categories) if categories is not None else None,
            "counts": list(counts),
            "computed_at": now,
        },
    )


def _compute_source(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    source: BaselineSource,
    now: datetime,
) -> BaselineData:
    bins, slices = model.checks.drift.bins, model.slices
    if source.kind in ("first_week", "window"):
        table = predictions_table(model_name)
        return BaselineData(
            source, _compute(con, table, model, source.window, bins, slices), window=source.window
        )
    if source.kind == "file":
        return _compute_reference(con, settings, model_name, model, source, now)
    table = predictions_table(model_name)
    if source.kind == "model_version":
        execute(
            con,
            "baseline_rows_of_version",
            {
                "model_version": source.model_version,
                "start": source.window[0],
                "end": source.window[1],
            },
            table=table,
        )
    else:
        execute(
            con,
            "baseline_rows_between",
            {
                "start": source.window[0],
                "end": source.window[1],
                "skip_starts": [s for s, _e in source.skip],
                "skip_ends": [e for _s, e in source.skip],
            },
            table=table,
        )
    try:
        found = _compute(con, raw("baseline_rows"), model, source.window, bins, slices)
    finally:
        execute(con, "baseline_rows_drop")
    return BaselineData(source, found, window=source.window)


def _compute_reference(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    source: BaselineSource,
    now: datetime,
) -> BaselineData:
    assert source.path is not None
    digest, _rows = staged_reference(con, settings, model_name, model, source.path, now)
    # The file may have changed since it was hashed: the cache names what was read.
    source = replace(source, key=f"file:{digest}")
    try:
        span = fetch_rows(con, "baseline_rows_span", table=raw("stage"))[0]
        window = (span["first_ts"], span["last_ts"] + timedelta(seconds=1))
        found = BaselineData(
            source,
            _compute(con, raw("stage"), model, window, model.checks.drift.bins, model.slices),
            rows=int(span["n"]),
            labeled=int(span["labeled"]),
            window=window,
        )
        if found.labeled:
            found.metrics = reference_metrics(con, model, found.rows or 0)
    finally:
        execute(con, "stage_drop")
    return found


def offline_targets(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    first_ts: datetime,
    now: datetime,
) -> dict[str, float]:
    """The offline numbers the offline gap compares against: the labelled reference
    file's own metrics (for a file baseline), with ``offline:`` laid over them."""
    found: dict[str, float] = {}
    if model.baseline is not None and model.baseline.kind == "file":
        found = dict(load_baseline(con, settings, model_name, model, first_ts, now).metrics)
    found.update(model.offline)
    return found


def _compute(
    con: duckdb.DuckDBPyConnection,
    table: Fragment,
    model: Model,
    window: tuple[datetime, datetime],
    bins: int,
    slice_columns: list[str],
) -> dict[str, Histogram]:
    """Histograms of the rows of ``table`` served in ``window``."""
    numeric = [f for f, spec in model.features.items() if spec.type == "numeric"]
    numeric_cols = [*numeric, "score"] if model.task == "binary" else numeric
    categorical = [f for f, spec in model.features.items() if spec.type == "categorical"]
    start, end = window
    out: dict[str, Histogram] = {}
    probabilities = [k / bins for k in range(1, bins)]
    edges: dict[str, list[float]] = {}
    if numeric_cols:
        quantiles = raw(
            ", ".join(
                f"quantile_cont({ident(c)}, $probabilities) AS {ident(c)}" for c in numeric_cols
            )
        )
        row = fetch_rows(
            con,
            "checks_quantiles",
            {"start": start, "end": end, "probabilities": probabilities},
            table=table,
            quantiles=quantiles,
        )[0]
        for col in numeric_cols:
            values = row[col] or []
            # Ties (integers, clipped values) repeat quantiles; a bin per distinct edge.
            edges[col] = sorted({float(v) for v in values})
        counts = merge_windows(bin_counts(con, table, numeric_cols, edges, start, end, end - start))
        for col in numeric_cols:
            per_bin = counts.get(col, {})
            out[col] = Histogram(
                col,
                tuple(edges[col]),
                None,
                tuple(per_bin.get(b, 0) for b in range(len(edges[col]) + 1)),
            )
        if model.task == "binary" and slice_columns:
            per_slice = merge_windows(
                {
                    (w, f"score|{col}={value}"): bins
                    for (w, col, value), bins in score_bin_counts(
                        con, table, slice_columns, edges["score"], start, end, end - start
                    ).items()
                    if col is not None
                }
            )
            for name, per_bin in per_slice.items():
                out[name] = Histogram(
                    name,
                    tuple(edges["score"]),
                    None,
                    tuple(per_bin.get(b, 0) for b in range(len(edges["score"]) + 1)),
                )
    if categorical:
        cats = merge_windows(category_counts(con, table, categorical, start, end, end - start))
        for col in categorical:
            values = cats.get(col, {})
            ordered = sorted(values)
            out[col] = Histogram(col, None, tuple(ordered), tuple(values[v] for v in ordered))
    return out
