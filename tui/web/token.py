"""The token a served console asks of every page and socket: made at random for each
run, or read from a file only its owner can read."""

from __future__ import annotations

import hmac
import re
import secrets
import stat
from pathlib import Path

from tui.core.errors import UsageError

# What can stand in a URL's path and query unescaped (RFC 3986 "unreserved").
TOKEN_TEXT = re.compile(r"[A-Za-z0-9._~-]+")
# Shorter tokens are accepted from a file, with a warning: they can be guessed.
STRONG_LENGTH = 16


def new_token() -> str:
    """A fresh random token: 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def read_token_file(path: Path) -> str:
    """The token kept in ``path``: its one line, without surrounding blanks. Refused, with
    what to do, when the file is missing, empty, readable by every user or not one line
    of URL-safe characters."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file", field="token file") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}", field="token file") from None
    if not stat.S_ISREG(mode):
        raise UsageError(f"{path} is not a file", field="token file")
    if mode & stat.S_IROTH:
        raise UsageError(
            f"{path} is readable by every user (mode {stat.S_IMODE(mode):04o}), so the token "
            f"keeps no one out; make it private: chmod 600 {path}",
            field="token file",
        )
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} could not be read: {exc}", field="token file") from None
    if not text:
        raise UsageError(f"{path} is empty; write the token on its first line", field="token file")
    if not TOKEN_TEXT.fullmatch(text):
        raise UsageError(
            f"{path} must hold one line of letters, digits and - . _ ~ (it goes into URLs)",
            field="token file",
        )
    return text


def token_matches(given: str | None, token: str) -> bool:
    """Whether ``given`` is the token, compared in constant time (a timing of the
    comparison tells nothing of how much of a guess was right)."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))
