"""A folder's own clock: the demo's world is a moment in time, kept beside its config.

`oncall demo` simulates two weeks up to a fixed moment and writes it into its marker
file. Every command run against that config then sees the demo's world as of that
moment (unless `--now` or `$ONCALL_NOW` says otherwise): a `check` run on the real
clock a day later would otherwise write a day of missing traffic into the demo.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tui.core.config.times import check_now

# Written by `oncall demo` beside the config it builds: scenario, seed, scale and now.
DEMO_MARKER = ".oncall-demo.json"
# The marker is a few hundred bytes; anything bigger is not ours and is not read.
_MAX_MARKER_BYTES = 64 * 1024


def folder_clock(config: Path) -> datetime | None:
    """The moment the folder of ``config`` keeps as its clock, or None (a real folder,
    or a marker that is missing, unreadable or without a valid time)."""
    marker = config.parent / DEMO_MARKER
    try:
        if not marker.is_file() or marker.stat().st_size > _MAX_MARKER_BYTES:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
        moment = datetime.fromisoformat(str(data["now"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    try:
        return check_now(moment, str(marker))
    except ValueError:
        return None
