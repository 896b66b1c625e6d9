"""The domain's errors: each carries the exit code the command line uses for it.

Messages are in the user's terms, never a command-line flag or an app key: the core
does not know which face asked. An error about one setting names it in `field` (in
words: "status", "max depth"), and each face adds its own handle for it: the command
line its flag (`--status`), the app its control.
"""

from __future__ import annotations


class OncallError(Exception):
    """Base for every error meant for the user; ``exit_code`` follows DESIGN.md."""

    exit_code = 2
    title = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigError(OncallError):
    """The configuration is missing, unreadable or invalid."""

    title = "config error"


class InputError(OncallError):
    """A file or argument cannot be used; nothing was written."""

    title = "bad input"


class UsageError(OncallError):
    """The command was called with arguments that do not fit."""

    title = "usage"


class NotFoundError(OncallError):
    """Something named by id does not exist."""

    title = "not found"


class ConflictError(OncallError):
    """Someone else changed the record since it was read."""

    title = "conflict"


class NotAllowedError(OncallError):
    """The acting user may not change state (a trainee or a shadow)."""

    exit_code = 3
    title = "not allowed"


class StoreBusyError(OncallError):
    """Another process held the store past the deadline."""

    exit_code = 75
    title = "store busy"

    def __init__(self, message: str, holder_pid: int | None = None) -> None:
        super().__init__(message)
        self.holder_pid = holder_pid


class StoreError(OncallError):
    """The store failed in a way the user cannot fix by changing input."""

    exit_code = 1
    title = "store error"


class StoreUnavailable(OncallError):
    """The store or a file could not be read or written (unreadable, full disk)."""

    exit_code = 74
    title = "store unavailable"


class StoreDamaged(StoreUnavailable):
    """The store file is damaged or is not a store at all."""

    title = "store damaged"


class QueryCancelled(OncallError):
    """A read was interrupted on request (Esc in the app)."""

    exit_code = 130
    title = "cancelled"
