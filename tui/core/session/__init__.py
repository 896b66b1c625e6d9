"""Who acts and when: the Session both faces hold, and the rule of who may change state."""

from tui.core.session.login import os_login, record_login
from tui.core.session.roles import changing, require_can_change
from tui.core.session.session import Session

__all__ = ["Session", "changing", "os_login", "record_login", "require_can_change"]
