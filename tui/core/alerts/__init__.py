"""Alerts: episodes of failing results (`episodes`), what people change on them
(`changes`, reached through `tui.core.actions`), and the read side (`reading`) with
its typed records (`records`)."""

from tui.core.alerts.changes import (
    SILENCE_KEYS,
    expire_silence,
    parse_matchers,
    parse_type,
    silence,
    write_runbook,
)
from tui.core.alerts.episodes import SYSTEM, AlertChange, Episode, episodes_of, reconcile_alerts
from tui.core.alerts.reading import (
    SORTS,
    STATUSES,
    active_silences,
    alert_row,
    list_alerts,
    list_silences,
    runbooks,
    show_alert,
    status_of,
    track_records,
)
from tui.core.alerts.records import (
    Alert,
    AlertDetail,
    AlertEvent,
    DriftPicture,
    LinkedBug,
    ResultPoint,
    RunbookNote,
    TrackRecord,
)

__all__ = [
    "SILENCE_KEYS",
    "SORTS",
    "STATUSES",
    "SYSTEM",
    "Alert",
    "AlertChange",
    "AlertDetail",
    "AlertEvent",
    "DriftPicture",
    "Episode",
    "LinkedBug",
    "ResultPoint",
    "RunbookNote",
    "TrackRecord",
    "active_silences",
    "alert_row",
    "episodes_of",
    "expire_silence",
    "list_alerts",
    "list_silences",
    "parse_matchers",
    "parse_type",
    "reconcile_alerts",
    "runbooks",
    "show_alert",
    "silence",
    "status_of",
    "track_records",
    "write_runbook",
]
