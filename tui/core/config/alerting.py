"""`alerting:` in `oncall.yaml`: how alerts open and close, which of them interrupt the
stream (the surfacing policy), and who is told (the notification routes and timers)."""

from __future__ import annotations

from pydantic import Field, field_validator

from tui.core.config.notify import NotifyTimes, Route, unique_routes
from tui.core.config.types import Duration, Fraction, Strict
from tui.core.errors import ConfigError


class Surface(Strict):
    """Which alert types interrupt the stream (`alerting.surface`). A type is held in
    the digest when fewer than `min_acted_share` of its last `last` episodes were acted
    on — counting back no further than the latest one acted on, and only once that
    count reaches `min_episodes` (a new type, or one just acted on, is surfaced)."""

    min_acted_share: Fraction = 0.1
    last: int = Field(default=20, ge=1, le=1000)
    min_episodes: int = Field(default=5, ge=1, le=1000)


class Alerting(Strict):
    """How alerts open, escalate and close, and who is told (`notify`, with
    Alertmanager's timers: wait for a group, between a group's messages, and before a
    firing alert is sent again)."""

    resolve_after: int = Field(default=3, ge=1)
    route_to: str | None = None
    notify: list[Route] = Field(default_factory=list)
    group_wait: Duration = NotifyTimes().group_wait
    group_interval: Duration = NotifyTimes().group_interval
    repeat_interval: Duration = NotifyTimes().repeat_interval
    # Off unless given: every alert interrupts the stream.
    surface: Surface | None = None

    @field_validator("notify")
    @classmethod
    def _routes(cls, routes: list[Route]) -> list[Route]:
        return unique_routes(routes)

    def route(self, name: str) -> Route:
        """The named route, or a ConfigError listing the declared ones."""
        for route in self.notify:
            if route.name == name:
                return route
        known = ", ".join(r.name for r in self.notify) or "none"
        raise ConfigError(f"no route {name!r} in alerting.notify; declared routes: {known}")
