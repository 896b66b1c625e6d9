"""One HTTP POST to a receiver, and what its answer means for the notification.

The standard library's urllib does the job: one JSON POST, a timeout, no session to
keep. Redirects are not followed (a POST must not turn into a GET elsewhere), and a
loopback receiver is reached directly, whatever proxy the environment names.

A 2xx is delivered. Timeouts, refused or dropped connections, 408, 429 (after its
Retry-After) and 5xx are tried again later, with exponential backoff and jitter; any
other answer is a failure for good, recorded with its status. Error texts never hold
the URL or the key: they are built here, and any secret is blanked from them anyway.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import random
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tui.core.config.notify import Target

# Backoff: the first retry after about a second, doubling, at most five minutes.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0
# A Retry-After past this is not believed (a receiver asking for a day).
RETRY_AFTER_MAX = 3600.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_BODY_SHOWN = 200


@dataclass(frozen=True)
class Outcome:
    """How one POST ended."""

    delivered: bool
    retry: bool
    status: int | None
    error: str
    retry_after: float | None = None


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempt`-th failed try: doubling from BACKOFF_FIRST,
    capped, with half of it jittered so senders that failed together do not retry
    together."""
    delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** max(attempt - 1, 0))
    jitter: float = (rng or random).uniform(0, delay / 2)
    return delay / 2 + jitter


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (seconds, or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_MAX)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = (when - now.replace(tzinfo=UTC)).total_seconds()
    return min(max(wait, 0.0), RETRY_AFTER_MAX)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urlsplit(url).hostname or ""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if host in _LOOPBACK:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def _blank(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


def post(target: Target, body: bytes, now: datetime) -> Outcome:
    """POST `body` (JSON) to the route's receiver and judge the answer."""
    request = urllib.request.Request(
        target.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "oncall"},
    )
    timeout = target.route.timeout.total_seconds()
    try:
        with _opener(target.url).open(request, timeout=timeout) as response:
            status = int(response.status)
            # The receiver said 2xx: it has the message, whatever its body does.
            with contextlib.suppress(OSError, TimeoutError):
                response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
        try:
            text = exc.read(_BODY_SHOWN).decode("utf-8", errors="replace")
        except (OSError, TimeoutError):
            text = ""
        text = _blank(" ".join(text.split()), target.secrets)
        said = f"HTTP {status}" + (f": {text}" if text else "")
        if status == 429:
            wait = retry_after(exc.headers.get("Retry-After"), now)
            return Outcome(False, True, status, said, wait)
        if status == 408 or status >= 500:
            return Outcome(False, True, status, said)
        if 300 <= status < 400:
            said = f"HTTP {status}: the receiver redirects; give its final address as url"
        return Outcome(False, False, status, said)
    except TimeoutError:
        return Outcome(False, True, None, f"no answer within {timeout:g} s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return Outcome(False, True, None, f"no answer within {timeout:g} s")
        what = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        return Outcome(False, True, None, _blank(f"could not connect: {what}", target.secrets))
    except (ConnectionError, OSError) as exc:
        what = exc.strerror or type(exc).__name__
        return Outcome(False, True, None, _blank(f"connection failed: {what}", target.secrets))
    except http.client.HTTPException as exc:
        # A garbled or cut answer: the message may not have arrived; try again.
        return Outcome(False, True, None, f"a broken answer ({type(exc).__name__})")
    if 200 <= status < 300:
        return Outcome(True, False, status, "")
    return Outcome(False, status >= 500, status, f"HTTP {status}")
