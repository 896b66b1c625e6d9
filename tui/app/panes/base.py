"""What every pane shares: a typed way to reach the app, the row under a cursor, and
the role rule asked at the key of an action that changes state."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar, cast

from textual.containers import Vertical
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from tui.app.console import Console
from tui.core.errors import NotAllowedError
from tui.core.session import require_can_change


class Pane(Vertical):
    """A pane of the console; `oncall` is the app with its session and stores."""

    HELP_TITLE: ClassVar[str] = "Keys"
    """The help screen's title while this pane has the focus, in words."""

    def cursor_id(self, table_id: str) -> int | None:
        """The integer row key under a table's cursor (rows are keyed by record id)."""
        table: DataTable[Any] = self.query_one(f"#{table_id}", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        # Rows keyed by something else (a group's header) are no record.
        text = str(key.value) if key.value is not None else ""
        return int(text) if text.isdigit() else None

    @property
    def oncall(self) -> Console:
        """The app, as the Console protocol (the app class satisfies it)."""
        return cast(Console, self.app)


PaneT = TypeVar("PaneT", bound=Pane)
P = ParamSpec("P")


def changes_state(
    action: Callable[Concatenate[PaneT, P], None],
) -> Callable[Concatenate[PaneT, P], None]:
    """Marks a pane action that changes alerts or bugs: the core's role rule is asked
    when its key is pressed, so someone it refuses (a read-only console, a trainee) is
    told at once rather than after filling in a dialog. Core asks again when the change
    is written, and also refuses a shadow then."""

    @functools.wraps(action)
    def guarded(pane: PaneT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        app = pane.oncall
        try:
            require_can_change(app.settings, app.actor)
        except NotAllowedError as exc:
            pane.notify(exc.message, title="not allowed", severity="error", timeout=8)
            return
        action(pane, *args, **kwargs)

    return guarded
