"""`alerting.notify`: where alerts are sent (PagerDuty, Slack, a webhook) and which.

A route names its receiver and its secrets only by environment variable: the routing
key, or a webhook URL that is itself a secret, is read from the environment when a
notification is sent and is never written to the config, the store or a log. Every
problem is told with the route's name, since a list index says little.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from tui.core.config.types import Duration, Strict
from tui.core.errors import ConfigError

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
RouteKind = Literal["pagerduty", "slack", "webhook"]
ROUTE_KINDS = ("pagerduty", "slack", "webhook")
MATCH_KEYS = ("model", "kind", "feature", "slice", "severity")
ROUTE_KEYS = ("name", "kind", "url", "url_env", "routing_key_env", "match", "timeout")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROUTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def _as_values(key: str, value: Any) -> tuple[str, ...]:
    """A matcher's value: one text, or a list of texts any of which matches."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ValueError(f"match.{key} is a text or a list of texts, got {item!r}")
        out.append(str(item))
    if not out:
        raise ValueError(f"match.{key} lists no value")
    return tuple(out)


def _slice_pairs(value: Any) -> dict[str, str]:
    """`slice: {region: EU}` or `slice: region=EU,tier=gold`: the slice must hold these."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        pairs: dict[str, str] = {}
        for part in value.split(","):
            key, sep, val = part.partition("=")
            if not sep or not key.strip() or not val.strip():
                raise ValueError(f"match.slice is COLUMN=VALUE[,COLUMN=VALUE], got {value!r}")
            pairs[key.strip()] = val.strip()
        return pairs
    raise ValueError(f"match.slice is a mapping such as {{region: EU}}, got {value!r}")


class Route(Strict):
    """One receiver of notifications and the alerts it wants."""

    name: str
    kind: RouteKind
    url: str | None = None
    url_env: str | None = None
    routing_key_env: str | None = None
    match: dict[str, Any] = Field(default_factory=dict)
    # How long one request may take before it counts as a timeout (then retried).
    timeout: Duration = timedelta(seconds=10)

    @model_validator(mode="before")
    @classmethod
    def _named_problems(cls, data: Any) -> Any:
        # Unknown keys are told with the route's name (an index says little).
        if not isinstance(data, dict):
            raise ValueError(f"a route is a mapping with name, kind and url, got {data!r}")
        name = data.get("name")
        if not isinstance(name, str) or not _ROUTE_NAME.match(name):
            raise ValueError(
                f"a route needs a `name` of letters, digits, '-', '_' or '.', got {name!r}"
            )
        unknown = [k for k in data if k not in ROUTE_KEYS]
        if unknown:
            raise ValueError(
                f"route {name!r}: unknown key {unknown[0]!r}; a route takes "
                + ", ".join(ROUTE_KEYS)
            )
        return data

    @field_validator("match")
    @classmethod
    def _match(cls, match: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in match.items():
            if key not in MATCH_KEYS:
                raise ValueError(f"match key {key!r} is not one of {', '.join(MATCH_KEYS)}")
            out[key] = _slice_pairs(value) if key == "slice" else _as_values(key, value)
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Route:
        where = f"route {self.name!r}"
        for key in ("url_env", "routing_key_env"):
            value = getattr(self, key)
            if value is not None and not _ENV_NAME.match(value):
                raise ValueError(f"{where}: {key} names an environment variable, got {value!r}")
        if self.url is not None and self.url_env is not None:
            raise ValueError(f"{where}: give `url` or `url_env`, not both")
        if self.url is not None:
            _check_url(self.url, where)
        if self.kind == "pagerduty":
            if self.routing_key_env is None:
                raise ValueError(
                    f"{where}: a pagerduty route needs `routing_key_env`, the environment "
                    "variable holding its routing key"
                )
        else:
            if self.routing_key_env is not None:
                raise ValueError(f"{where}: `routing_key_env` is for pagerduty routes")
            if self.url is None and self.url_env is None:
                raise ValueError(f"{where}: a {self.kind} route needs `url` or `url_env`")
        if self.timeout <= timedelta(0) or self.timeout > timedelta(minutes=5):
            raise ValueError(f"{where}: timeout is between 0 and 5m")
        return self

    def matches(self, alert: dict[str, Any], slice_: dict[str, Any] | None) -> bool:
        """Whether an alert (a row of the alerts table, its slice parsed) is for this route."""
        for key, wanted in self.match.items():
            if key == "slice":
                have = slice_ or {}
                if any(str(have.get(k)) != v for k, v in wanted.items()):
                    return False
            elif str(alert.get(key) or "") not in wanted:
                return False
        return True


def route_named(data: Any, path: tuple[Any, ...]) -> str | None:
    """The name of the route a config error's key path is inside (`alerting.notify.0…`),
    so the error can say which route; None elsewhere or when it has no name."""
    if len(path) < 3 or path[:2] != ("alerting", "notify") or not isinstance(path[2], int):
        return None
    try:
        name = data["alerting"]["notify"][path[2]]["name"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: url is an http:// or https:// address")


class NotifyTimes(Strict):
    """Alertmanager's three timers, read beside `alerting.notify`."""

    group_wait: Duration = timedelta(seconds=30)
    group_interval: Duration = timedelta(minutes=5)
    repeat_interval: Duration = timedelta(hours=4)


def unique_routes(routes: list[Route]) -> list[Route]:
    """The routes, refused if two share a name (notifications are kept by route name)."""
    seen: set[str] = set()
    for route in routes:
        if route.name in seen:
            raise ValueError(f"route {route.name!r} is listed twice")
        seen.add(route.name)
    return routes


@dataclass(frozen=True)
class Target:
    """Where a route's notifications go, with its secrets read from the environment.
    Held in memory only; `repr` shows neither the URL nor the key."""

    route: Route
    url: str
    routing_key: str | None

    def __repr__(self) -> str:
        return f"Target(route={self.route.name!r}, kind={self.route.kind!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The texts that must never be shown: the key, and a URL read from the
        environment (a Slack webhook URL is itself a secret)."""
        out = [self.routing_key] if self.routing_key else []
        if self.route.url_env is not None:
            out.append(self.url)
        return tuple(s for s in out if s)


def target_of(route: Route, environ: dict[str, str] | None = None) -> Target:
    """The route's receiver with its secrets; ConfigError naming the route (and the
    variable, never its value) when one is missing."""
    env = os.environ if environ is None else environ
    where = f"alerting.notify: route {route.name!r}"
    url = route.url
    if route.url_env is not None:
        url = env.get(route.url_env, "").strip()
        if not url:
            raise ConfigError(f"{where}: ${route.url_env} (its url_env) is not set")
        try:
            _check_url(url, where)
        except ValueError:
            raise ConfigError(
                f"{where}: ${route.url_env} is not an http:// or https:// address"
            ) from None
    if url is None:
        url = PAGERDUTY_URL
    key: str | None = None
    if route.routing_key_env is not None:
        key = env.get(route.routing_key_env, "").strip()
        if not key:
            raise ConfigError(f"{where}: ${route.routing_key_env} (its routing_key_env) is not set")
    return Target(route, url, key)
