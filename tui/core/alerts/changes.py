"""What a person can change on an alert, each inside the caller's transaction: ack,
snooze, resolve, note, mark; and silences and runbook notes, which are not about one
alert. Alert actions reach these through the action door (`tui.core.actions`), which
checks who acts and records the action once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb

from tui.core.alerts.episodes import add_event
from tui.core.alerts.reading import alert_row
from tui.core.checks.kinds import KINDS
from tui.core.checks.results import NEVER_JUDGED
from tui.core.config.settings import Settings
from tui.core.errors import NotFoundError, UsageError
from tui.core.session.roles import changing
from tui.core.store.connection import Store, execute, fetch_rows


def ack(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, note: str = ""
) -> None:
    """Acknowledge inside an open transaction."""
    alert_row(con, alert_id)
    execute(con, "alert_set_ack", {"alert_id": alert_id, "at": now, "actor": actor})
    add_event(con, alert_id, now, actor, "ack", note=note)


def snooze(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, duration: timedelta
) -> datetime:
    """Snooze inside an open transaction; return until when."""
    until = now + duration
    alert_row(con, alert_id)
    execute(con, "alert_set_snooze", {"alert_id": alert_id, "until": until})
    add_event(con, alert_id, now, actor, "snooze", until=until)
    return until


def resolve(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, note: str = ""
) -> None:
    """Resolve by hand inside an open transaction."""
    alert = alert_row(con, alert_id)
    if alert["state"] != "open":
        raise UsageError(f"alert {alert_id} is already {alert['state']}")
    execute(con, "alert_set_resolved", {"alert_id": alert_id, "at": now, "actor": actor})
    add_event(con, alert_id, now, actor, "resolve", note=note)


def note(
    con: duckdb.DuckDBPyConnection, alert_id: int, actor: str, now: datetime, text: str
) -> None:
    """Add a note inside an open transaction."""
    if not text.strip():
        raise UsageError("a note needs text")
    alert_row(con, alert_id)
    add_event(con, alert_id, now, actor, "note", text=text)


def mark(
    con: duckdb.DuckDBPyConnection,
    alert_id: int,
    actor: str,
    now: datetime,
    noise_reason: str | None = None,
    actionable: bool = False,
) -> None:
    """Mark as noise or actionable inside an open transaction."""
    if (noise_reason is None) == (not actionable):
        raise UsageError("an alert is marked either as noise, with a reason, or as actionable")
    label = "actionable" if actionable else "noise"
    alert_row(con, alert_id)
    execute(con, "alert_set_mark", {"alert_id": alert_id, "mark": label, "actor": actor})
    add_event(con, alert_id, now, actor, f"mark_{label}", reason=noise_reason or "")


SILENCE_KEYS = ("model", "kind", "check", "feature", "severity", "fingerprint")


def parse_matchers(settings: Settings, pairs: list[str]) -> dict[str, str]:
    """`key=value` pairs into a matcher; keys are alert fields or declared slice columns."""
    if not pairs:
        raise UsageError("a silence needs at least one matcher KEY=VALUE", field="match")
    slices = {s for m in settings.config.models.values() for s in m.slices}
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"a matcher is KEY=VALUE, got {pair!r}", field="match")
        if key not in SILENCE_KEYS and key not in slices:
            valid = ", ".join([*SILENCE_KEYS, *sorted(slices)])
            raise UsageError(f"matcher key {key!r} is not one of: {valid}", field="match")
        if key == "model":
            settings.model(value)
        out[key] = value
    return out


def silence(
    store: Store,
    settings: Settings,
    matchers: dict[str, str],
    actor: str,
    now: datetime,
    duration: timedelta,
    note_text: str = "",
) -> int:
    """Silence matching alerts for a while; they are still created and stored."""
    with changing(store, settings, actor) as con:
        return int(
            fetch_rows(
                con,
                "silence_insert",
                {
                    "matchers": json.dumps(matchers, sort_keys=True),
                    "starts_at": now,
                    "ends_at": now + duration,
                    "created_by": actor,
                    "note": note_text,
                },
            )[0]["silence_id"]
        )


def expire_silence(
    store: Store, settings: Settings, silence_id: int, actor: str, now: datetime
) -> None:
    """End a silence now."""
    with changing(store, settings, actor) as con:
        rows = [s for s in fetch_rows(con, "silences_all") if s["silence_id"] == silence_id]
        if not rows:
            raise NotFoundError(f"no silence with id {silence_id}")
        execute(con, "silence_expire", {"silence_id": silence_id, "at": now, "actor": actor})


def parse_type(settings: Settings, text: str) -> tuple[str, str, str]:
    """`model/kind[/feature]` into its parts, checked against the config."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"an alert type is MODEL/KIND or MODEL/KIND/FEATURE, got {text!r}")
    model, kind = parts[0], parts[1]
    spec = settings.model(model)
    kinds = (*KINDS, NEVER_JUDGED)
    if kind not in kinds:
        raise UsageError(f"kind {kind!r} is not one of {', '.join(kinds)}")
    feature = parts[2] if len(parts) == 3 else ""
    if feature and feature not in spec.features and feature not in spec.slices:
        raise UsageError(f"{feature!r} is not a feature of model {model!r}")
    return model, kind, feature


def write_runbook(
    store: Store, settings: Settings, alert_type: str, text: str, actor: str, now: datetime
) -> tuple[str, str, str]:
    """Attach a note to an alert type; it shows whenever that type fires."""
    if not text.strip():
        raise UsageError("a runbook note needs text")
    model, kind, feature = parse_type(settings, alert_type)
    with changing(store, settings, actor) as con:
        execute(
            con,
            "runbook_insert",
            {
                "model": model,
                "kind": kind,
                "feature": feature,
                "text": text,
                "author": actor,
                "at": now,
            },
        )
    return model, kind, feature
