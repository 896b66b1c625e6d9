"""Alerts: episodes of failing results (`episodes`), what people change on them
(`changes`, reached through `tui.core.actions`), and the read side (`reading`) with
its typed records (`records`)."""

# The names are loaded from their modules when first used, not when the package is
# imported: `alerts list` reads alerts without the episode engine and the checks it
# imports (their import is most of a command's start-up).
from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.lazy import lazy_names

if TYPE_CHECKING:
    from tui.core.alerts.changes import (
        SILENCE_KEYS,
        expire_silence,
        parse_matchers,
        parse_type,
        silence,
        write_runbook,
    )
    from tui.core.alerts.drill import Drill, drill_for
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

_WHERE = {
    "Alert": "records",
    "AlertChange": "episodes",
    "AlertDetail": "records",
    "AlertEvent": "records",
    "Drill": "drill",
    "DriftPicture": "records",
    "Episode": "episodes",
    "LinkedBug": "records",
    "ResultPoint": "records",
    "RunbookNote": "records",
    "SILENCE_KEYS": "changes",
    "SORTS": "reading",
    "STATUSES": "reading",
    "SYSTEM": "episodes",
    "TrackRecord": "records",
    "active_silences": "reading",
    "alert_row": "reading",
    "drill_for": "drill",
    "episodes_of": "episodes",
    "expire_silence": "changes",
    "list_alerts": "reading",
    "list_silences": "reading",
    "parse_matchers": "changes",
    "parse_type": "changes",
    "reconcile_alerts": "episodes",
    "runbooks": "reading",
    "show_alert": "reading",
    "silence": "changes",
    "status_of": "reading",
    "track_records": "reading",
    "write_runbook": "changes",
}


__getattr__ = lazy_names(__name__, _WHERE)

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
    "Drill",
    "Episode",
    "LinkedBug",
    "ResultPoint",
    "RunbookNote",
    "TrackRecord",
    "active_silences",
    "alert_row",
    "drill_for",
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
