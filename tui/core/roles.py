"""Who may change state: trainees (and later, anyone in a shadow shift) may not."""

from __future__ import annotations

from tui.core.config import Settings
from tui.core.errors import NotAllowedError


def require_can_change(settings: Settings, actor: str) -> None:
    """Refuse a state change by a trainee, in core, whatever face asked for it."""
    if settings.role_of(actor) == "trainee":
        raise NotAllowedError(
            f"{actor} is a trainee and cannot change alerts or bugs; "
            "shadow the primary with `oncall shadow follow` instead"
        )
