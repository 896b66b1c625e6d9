"""The bug queue: tickets with an append-only history, links, conflicts and exports.

Every change is an event (who, when, what) in `bug_events`, which the store keeps
append-only; the `bugs` row is the current state and can be rebuilt from the events
(`replay`). Each change bumps the bug's version; an edit made on an older version
than the stored one is refused with the changes it would have overwritten.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from tui.core.alerts.episodes import add_event as add_alert_event
from tui.core.config.settings import Settings
from tui.core.errors import ConflictError, NotFoundError, UsageError
from tui.core.session.login import record_login
from tui.core.session.roles import changing
from tui.core.slices.examples import write_examples
from tui.core.store.connection import Store, execute, fetch_rows
from tui.core.store.filters import filter_sql, parse_filters, require_stored
from tui.core.store.sqlparts import ident, predictions_table, raw
from tui.core.work.bug_records import (
    FIELDS as FIELDS,
)
from tui.core.work.bug_records import (
    MITIGATIONS as MITIGATIONS,
)
from tui.core.work.bug_records import (
    OPEN as OPEN,
)
from tui.core.work.bug_records import (
    PRIORITIES as PRIORITIES,
)
from tui.core.work.bug_records import (
    RESOLUTIONS as RESOLUTIONS,
)
from tui.core.work.bug_records import (
    ROOT_CAUSES as ROOT_CAUSES,
)
from tui.core.work.bug_records import (
    STATUSES as STATUSES,
)

# The vocabulary and records live beside; named here too, as the queue's public face.
from tui.core.work.bug_records import (
    Bug as Bug,
)
from tui.core.work.bug_records import (
    BugDetail as BugDetail,
)
from tui.core.work.bug_records import (
    BugEvent as BugEvent,
)
from tui.core.work.bug_records import (
    BugLink as BugLink,
)
from tui.core.work.bug_records import (
    NewBug as NewBug,
)
from tui.core.work.bug_records import (
    NoSuchBug as NoSuchBug,
)
from tui.core.work.bug_records import (
    NothingLinked as NothingLinked,
)
from tui.core.work.bug_records import (
    event_text as event_text,
)
from tui.core.work.bug_records import (
    replay as replay,
)


def _choice(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    """Refuse a value outside `allowed`, naming the setting in words (`root cause`)."""
    if value is not None and value not in allowed:
        raise UsageError(f"{field} must be one of {', '.join(allowed)}, got {value!r}", field=field)


def _event(
    con: duckdb.DuckDBPyConnection,
    bug_id: int,
    at: datetime,
    actor: str,
    action: str,
    version: int,
    **detail: Any,
) -> None:
    event_id = fetch_rows(
        con,
        "bug_event_insert",
        {
            "bug_id": bug_id,
            "acted_at": at,
            "actor": actor,
            "action": action,
            "detail": json.dumps(detail, sort_keys=True, default=str),
            "version": version,
        },
    )[0]["event_id"]
    execute(con, "bug_event_seal", {"event_id": event_id})
    record_login(con, "bug", event_id)


def _get(con: duckdb.DuckDBPyConnection, bug_id: int) -> Bug:
    rows = fetch_rows(con, "bug_get", {"bug_id": bug_id})
    if not rows:
        raise NoSuchBug(bug_id)
    return Bug.from_row(rows[0])


def file_bug(store: Store, settings: Settings, bug: NewBug, actor: str, now: datetime) -> int:
    """File a bug with its links, in one transaction (a link that fails files nothing);
    linking an alert counts that alert as acted on."""
    settings.model(bug.model)
    if not bug.title.strip():
        raise UsageError("a bug needs a title")
    _choice(bug.priority, PRIORITIES, "priority")
    _choice(bug.root_cause, ROOT_CAUSES, "root cause")
    with changing(store, settings, actor) as con:
        fields = {
            "title": bug.title.strip(),
            "description": bug.description,
            "priority": bug.priority,
            "tags": sorted(set(bug.tags)),
            "status": "new",
            "assignee": bug.assignee,
            "root_cause": bug.root_cause,
            "mitigation": None,
            "mitigation_note": None,
        }
        bug_id = int(
            fetch_rows(
                con, "bug_insert", {**fields, "model": bug.model, "reporter": actor, "at": now}
            )[0]["bug_id"]
        )
        _event(con, bug_id, now, actor, "created", 1, **fields, model=bug.model, duplicate_of=None)
        _add_links(
            con,
            settings,
            bug_id,
            bug.model,
            actor,
            now,
            alerts=list(bug.alerts),
            predictions=list(bug.predictions),
            where=list(bug.where),
            since=bug.since,
            until=bug.until,
        )
    return bug_id


def _link(
    con: duckdb.DuckDBPyConnection,
    bug_id: int,
    kind: str,
    target: str,
    start: datetime | None,
    end: datetime | None,
    actor: str,
    now: datetime,
) -> int:
    execute(
        con,
        "bug_link_insert",
        {
            "bug_id": bug_id,
            "kind": kind,
            "target": target,
            "window_start": start,
            "window_end": end,
            "at": now,
            "actor": actor,
        },
    )
    version = int(fetch_rows(con, "bug_touch", {"bug_id": bug_id, "at": now})[0]["version"])
    _event(
        con,
        bug_id,
        now,
        actor,
        "link",
        version,
        kind=kind,
        target=target,
        window_start=start,
        window_end=end,
    )
    if kind == "alert":
        add_alert_event(con, int(target), now, actor, "bug_filed", bug_id=bug_id)
    return version


def edit_bug(
    store: Store,
    settings: Settings,
    bug_id: int,
    actor: str,
    now: datetime,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> int:
    """Change fields of a bug; return its new version. With `expected_version`, refuse
    (ConflictError naming the other changes) if someone changed it since."""
    with changing(store, settings, actor) as con:
        return _apply(con, bug_id, actor, now, changes, expected_version)


def _apply(
    con: duckdb.DuckDBPyConnection,
    bug_id: int,
    actor: str,
    now: datetime,
    changes: dict[str, Any],
    expected_version: int | None,
) -> int:
    _choice(changes.get("status"), STATUSES, "status")
    _choice(changes.get("priority"), PRIORITIES, "priority")
    _choice(changes.get("root_cause"), ROOT_CAUSES, "root cause")
    _choice(changes.get("mitigation"), MITIGATIONS, "mitigation")
    stored = _get(con, bug_id)
    if expected_version is not None and stored.version != expected_version:
        raise ConflictError(_conflict(con, bug_id, expected_version))
    bug = stored.fields()
    new = dict(bug)
    add = changes.pop("add_tags", ())
    drop = changes.pop("drop_tags", ())
    new.update({k: v for k, v in changes.items() if v is not None})
    new["tags"] = sorted((set(new["tags"]) | set(add)) - set(drop))
    if new["duplicate_of"] is not None:
        if int(new["duplicate_of"]) == bug_id:
            raise UsageError("a bug cannot duplicate itself")
        _get(con, int(new["duplicate_of"]))
    changed = {k: (bug[k], new[k]) for k in FIELDS if bug[k] != new[k]}
    if not changed:
        raise UsageError(f"bug {bug_id}: nothing to change")
    rows = fetch_rows(
        con, "bug_update", {**new, "bug_id": bug_id, "expected": stored.version, "at": now}
    )
    version = int(rows[0]["version"])
    for field, (old, value) in changed.items():
        _event(con, bug_id, now, actor, "changed", version, field=field, old=old, new=value)
    return version


def _conflict(con: duckdb.DuckDBPyConnection, bug_id: int, version: int) -> str:
    since = fetch_rows(con, "bug_events_since", {"bug_id": bug_id, "version": version})
    parts = []
    for e in since:
        detail = json.loads(e["detail"])
        what = (
            f"set {detail['field']} to {detail['new']!r}"
            if e["action"] == "changed"
            else e["action"]
        )
        parts.append(f"{e['actor']} {what} at {e['acted_at']:%Y-%m-%d %H:%M}")
    return (
        f"bug {bug_id} changed since you read it (version {version}): "
        f"{'; '.join(parts) or 'changed'}; read it again and reapply your change"
    )


def comment(
    store: Store, settings: Settings, bug_id: int, actor: str, now: datetime, text: str
) -> None:
    """Add a comment to a bug's history."""
    if not text.strip():
        raise UsageError("a comment needs text")
    with changing(store, settings, actor) as con:
        add_comment(con, bug_id, actor, now, text)


def add_comment(
    con: duckdb.DuckDBPyConnection, bug_id: int, actor: str, now: datetime, text: str
) -> None:
    """Add a comment inside a write transaction already open (the outbox's door)."""
    if not text.strip():
        raise UsageError("a comment needs text")
    _get(con, bug_id)
    version = int(fetch_rows(con, "bug_touch", {"bug_id": bug_id, "at": now})[0]["version"])
    _event(con, bug_id, now, actor, "comment", version, text=text)


def apply_edit(
    con: duckdb.DuckDBPyConnection,
    bug_id: int,
    actor: str,
    now: datetime,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> int:
    """`edit_bug` inside a write transaction already open (the outbox's door)."""
    return _apply(con, bug_id, actor, now, dict(changes), expected_version)


def link(
    store: Store,
    settings: Settings,
    bug_id: int,
    actor: str,
    now: datetime,
    *,
    alerts: list[int] | None = None,
    predictions: list[str] | None = None,
    where: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bugs: list[int] | None = None,
) -> int:
    """Link a bug to alerts, prediction ids, a slice filter over a window, or other bugs.
    Returns how many links were added."""
    with changing(store, settings, actor) as con:
        bug = _get(con, bug_id)
        added = _add_links(
            con,
            settings,
            bug_id,
            bug.model,
            actor,
            now,
            alerts=alerts or [],
            predictions=predictions or [],
            where=where or [],
            since=since,
            until=until,
            bugs=bugs or [],
        )
        if not added:
            raise UsageError("a link needs an alert, a prediction, a slice or another bug")
    return added


def _add_links(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    bug_id: int,
    model_name: str,
    actor: str,
    now: datetime,
    *,
    alerts: list[int],
    predictions: list[str],
    where: list[str],
    since: datetime | None,
    until: datetime | None,
    bugs: list[int] | None = None,
) -> int:
    """Add links inside the caller's transaction; how many were added."""
    added = 0
    for alert_id in alerts:
        if not fetch_rows(con, "alert_get", {"alert_id": alert_id}):
            raise NotFoundError(f"no alert with id {alert_id}")
        _link(con, bug_id, "alert", str(alert_id), None, None, actor, now)
        added += 1
    for pid in predictions:
        _link(con, bug_id, "prediction", pid, None, None, actor, now)
        added += 1
    if where:
        filters = parse_filters(model_name, settings.model(model_name), where)
        if any(f.op != "=" for f in filters):
            # A slice link is a slice: values its rows have, kept as {column: value}.
            raise UsageError(
                "a slice link names its slice as COLUMN=VALUE conditions, got "
                + " and ".join(f.text for f in filters if f.op != "="),
                field="where",
            )
        if since is None or until is None:
            raise UsageError("a slice link needs its window: when it starts and ends")
        target = json.dumps({f.column: f.value for f in filters}, sort_keys=True)
        _link(con, bug_id, "slice", target, since, until, actor, now)
        added += 1
    for other in bugs or []:
        if other == bug_id:
            raise UsageError("a bug cannot link to itself")
        _get(con, other)
        _link(con, bug_id, "bug", str(other), None, None, actor, now)
        added += 1
    return added


def close(
    store: Store,
    settings: Settings,
    bug_id: int,
    actor: str,
    now: datetime,
    resolution: str,
    duplicate_of: int | None = None,
) -> None:
    """Close as fixed (resolved), wontfix or duplicate (of another bug)."""
    _choice(resolution, tuple(RESOLUTIONS), "resolution")
    if (resolution == "duplicate") != (duplicate_of is not None):
        raise UsageError(
            "a bug closed as a duplicate names the bug it duplicates, and only then",
            field="duplicate of",
        )
    with changing(store, settings, actor) as con:
        version = _apply(
            con,
            bug_id,
            actor,
            now,
            {"status": RESOLUTIONS[resolution], "duplicate_of": duplicate_of},
            None,
        )
        _event(con, bug_id, now, actor, "closed", version, resolution=resolution)


def show_bug(store: Store, bug_id: int) -> BugDetail:
    """A bug with its links and events."""
    with store.read() as con:
        bug = _get(con, bug_id)
        events = fetch_rows(con, "bug_events", {"bug_id": bug_id})
        links = fetch_rows(con, "bug_links", {"bug_id": bug_id})
    return BugDetail(
        bug=bug,
        links=tuple(BugLink.from_row(k) for k in links),
        events=tuple(BugEvent.from_row(e) for e in events),
    )


def list_bugs(
    store: Store,
    status: str = "open",
    model: str | None = None,
    tag: str | None = None,
    assignee: str | None = None,
) -> list[Bug]:
    """Bugs by priority; `status` is one of STATUSES, `open` (default) or `all`."""
    _choice(status, (*STATUSES, "open", "all"), "status")
    with store.read() as con:
        rows = fetch_rows(con, "bugs_all", {"model": model, "assignee": assignee})
    out = []
    for b in map(Bug.from_row, rows):
        if status == "open" and not b.open:
            continue
        if status not in ("open", "all") and b.status != status:
            continue
        if tag is not None and tag not in b.tags:
            continue
        out.append(b)
    return out


def mitigations(store: Store, settings: Settings, model: str) -> list[Bug]:
    """Rules and filters patched onto a model, and why: bugs whose mitigation is
    `rule_or_filter`, newest first, open or not."""
    settings.model(model)
    rows = [b for b in list_bugs(store, "all", model=model) if b.mitigation == "rule_or_filter"]
    return sorted(rows, key=lambda b: b.updated_at, reverse=True)


def export(store: Store, settings: Settings, bug_id: int, path: Path) -> int:
    """Write the bug's linked examples (by id and by slice) with features, prediction,
    score and label: the delta to merge into a validation set. Returns the row count."""
    with store.read() as con:
        bug = _get(con, bug_id)
        model = settings.model(bug.model)
        links = [BugLink.from_row(k) for k in fetch_rows(con, "bug_links", {"bug_id": bug_id})]
        table = predictions_table(bug.model)
        # A column both a slice and a feature is selected once.
        names = dict.fromkeys([*model.slices, *model.features])
        require_stored(con, bug.model, names)
        columns = raw("".join(f"p.{ident(c)}, " for c in names))
        rows: dict[str, dict[str, Any]] = {}
        ids = [k.target for k in links if k.kind == "prediction"]
        if ids:
            for r in fetch_rows(
                con,
                "bug_export_ids",
                {"model": bug.model, "ids": ids},
                table=table,
                columns=columns,
            ):
                rows[str(r["prediction_id"])] = r
        for k in links:
            if k.slice is None:
                continue
            filters = parse_filters(bug.model, model, [f"{c}={v}" for c, v in k.slice.items()])
            sql, values = filter_sql(filters, model)
            for r in fetch_rows(
                con,
                "bug_export_slice",
                {
                    "model": bug.model,
                    "since": k.window_start,
                    "until": k.window_end,
                    "values": values,
                },
                table=table,
                columns=columns,
                filters=sql,
            ):
                rows[str(r["prediction_id"])] = r
    ordered = sorted(rows.values(), key=lambda r: (r["ts"], r["prediction_id"]))
    if not ordered:
        row_links = [k for k in links if k.kind in ("prediction", "slice")]
        if row_links:
            raise UsageError(
                f"bug {bug_id}'s {len(row_links)} prediction/slice link(s) match no stored "
                f"prediction of {bug.model} (ingested under another model, or not yet?)"
            )
        raise NothingLinked(bug_id)
    return write_examples(ordered, path)


def bugs_of_alert(con: duckdb.DuckDBPyConnection, alert_id: int) -> list[dict[str, Any]]:
    """The bugs an alert led to."""
    return fetch_rows(con, "bugs_linked_to_alert", {"alert_id": alert_id})
