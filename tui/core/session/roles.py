"""Who may change state: a roster member, acting from a login allowed for them, who is
not a trainee and not in a shadow shift, in a process that was not opened read-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb

from tui.core.errors import NotAllowedError
from tui.core.session.login import os_login
from tui.core.store.connection import Store, fetch_rows

READ_ONLY = (
    "opened read-only: alerts, bugs and slices can be looked at here but not changed; "
    "ask the on-call to act"
)

# Types only: the config's models (pydantic) load only where a config is validated,
# so `alerts list` starts without them.
if TYPE_CHECKING:
    from tui.core.config.settings import Settings


def require_can_change(settings: Settings, actor: str, login: str | None = None) -> str:
    """Refuse a state change, in core, whatever face asked for it, by someone not on the
    roster (when the config has one), a trainee, or someone whose OS login (``login``,
    by default the process's) may not act as them unless the config trusts `--as`.
    Returns the actor as the roster spells it (``Bob`` is ``bob``).

    A read-only process (`Settings.read_only`) is refused whoever acts in it."""
    if settings.read_only:
        raise NotAllowedError(READ_ONLY)
    if not settings.config.team:
        return actor  # no roster: a team of one, or a config that has not named anyone
    member = settings.member(actor) or settings.member_of_login(actor)
    if member is None:
        raise NotAllowedError(
            f"{actor} is not on the roster in {settings.path}; add them under team:"
        )
    if member.role == "trainee":
        raise NotAllowedError(
            f"{member.name} is a trainee and cannot change alerts or bugs; "
            "shadow the primary with `oncall shadow follow` instead"
        )
    who = os_login() if login is None else login
    # Logins bind once the team lists any: a roster of names alone (the shape configs
    # had before `logins:`) keeps believing `--as` among its members.
    binds = any(m.logins for m in settings.config.team)
    if binds and not settings.config.trust_as and not member.allows_login(who):
        raise NotAllowedError(
            f"the login {who!r} may not act as {member.name}; list it under "
            f"`logins:` of {member.name} in the team: of {settings.path} "
            "(or set `trust_as: true` there to believe --as)"
        )
    return member.name


def refuse_shadow(con: duckdb.DuckDBPyConnection, actor: str) -> None:
    """Refuse a state change by someone whose open shift is a shadow shift."""
    rows = fetch_rows(con, "shift_open_of", {"engineer": actor})
    if rows and rows[0]["role"] == "shadow":
        raise NotAllowedError(
            f"{actor} is shadowing (shift {rows[0]['shift_id']}) and cannot change alerts or "
            "bugs; record your call with `oncall shadow call` instead"
        )


@contextmanager
def changing(store: Store, settings: Settings, actor: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The write transaction of a change to alert or bug state: refused, before anything
    is written, for anyone `require_can_change` refuses or someone in a shadow shift."""
    name = require_can_change(settings, actor)
    with store.write() as con:
        refuse_shadow(con, name)
        if name != actor:
            refuse_shadow(con, actor)
        yield con
