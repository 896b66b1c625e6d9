"""Re-judging only what changed: the kinds that look back as labels arrive.

SLO and offline-gap windows are judged again for a while after they end (their labels
keep arriving). Rather than all of that horizon at every run, a run re-judges from the
first window whose inputs changed since the run that last judged the whole horizon:
rows or labels ingested since, labels that became known between its "now" and this
one, or another config. Everything else in the horizon would come out as stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

import duckdb

from tui.core.checks.context import Inputs, ModelRun
from tui.core.checks.kinds import REGISTRY
from tui.core.checks.reference import reference_path
from tui.core.checks.spans import Span
from tui.core.config.settings import Model, Settings
from tui.core.config.times import period_floor
from tui.core.store.connection import execute, fetch_rows
from tui.core.store.sqlparts import predictions_table

# The kinds whose windows depend only on their rows, their labels known by now and the
# config (estimated SLOs also depend on a reference that may move: judged in full).
TRIMMED = ("slo", "offline_gap")


def config_digest(settings: Settings, model: Model) -> str:
    """A digest of everything in the config a judged window depends on (the model's
    whole config, and the reference file's size and time when it has one)."""
    text = repr(model)
    path = reference_path(settings, model)
    if path is not None:
        try:
            stat = path.stat()
            text += f"|{path}|{stat.st_size}|{stat.st_mtime_ns}"
        except OSError:
            text += f"|{path}|missing"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def trim_spans(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    model_name: str,
    model: Model,
    spans: dict[str, Span],
    first_ts: datetime,
    watermarks: dict[str, datetime],
    now: datetime,
    run: ModelRun,
) -> dict[str, Span]:
    """The spans with the re-judged part of each trimmable kind cut down to what changed
    since the last full judgement; records in ``run`` what this run judged on, for the
    kinds whose whole horizon it covers (a run that is behind, or capped by
    ``max_windows_per_run``, does not: the next one compares with the older inputs)."""
    digest = config_digest(settings, model)
    ingest_id = int(fetch_rows(con, "checks_last_ingest")[0]["ingest_id"])
    before = {
        str(r["kind"]): Inputs(r["judged_now"], int(r["ingest_id"]), str(r["config"]))
        for r in fetch_rows(con, "check_inputs_get", {"model": model_name})
    }
    out = dict(spans)
    for kind, span in spans.items():
        if kind not in TRIMMED or span.empty:
            continue
        # Trimmed only when the run covers the whole horizon (no --since/--until, no
        # cap on the windows): a partial run's span is not the one recorded.
        whole = REGISTRY[kind].due(settings, model, first_ts, watermarks, now)
        if span != whole:
            continue
        run.inputs[kind] = Inputs(now, ingest_id, digest)
        last = before.get(kind)
        if last is None or last.config != digest or now < last.judged_now:
            continue
        fresh = max(watermarks.get(kind, first_ts), first_ts)
        found = _first_changed(con, model_name, span, last, now)
        start = fresh if found is None else min(fresh, found)
        start = max(period_floor(start, span.step), span.start)
        if start > span.start:
            out[kind] = replace(span, start=min(start, span.end))
            run.trimmed.add(kind)
    return out


def _first_changed(
    con: duckdb.DuckDBPyConnection, model_name: str, span: Span, last: Inputs, now: datetime
) -> datetime | None:
    """The time of the first prediction in the span whose row or label changed since
    `last`, or None: one bounded read, as each label carries its prediction's time."""
    params: dict[str, object] = {
        "model": model_name,
        "start": span.start,
        "end": span.end,
        "ingest_id": last.ingest_id,
        "judged_now": last.judged_now,
        "now": now,
    }
    table = predictions_table(model_name)
    found = fetch_rows(con, "checks_changed_since", params, table=table)[0]["first_ts"]
    return found  # type: ignore[no-any-return]


def record_inputs(con: duckdb.DuckDBPyConnection, run: ModelRun) -> None:
    """Keep what this run judged each fully covered kind on (with its results)."""
    for kind, inputs in run.inputs.items():
        execute(
            con,
            "check_inputs_set",
            {
                "model": run.model,
                "kind": kind,
                "judged_now": inputs.judged_now,
                "ingest_id": inputs.ingest_id,
                "config": inputs.config,
            },
        )
