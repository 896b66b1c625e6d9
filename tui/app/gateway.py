"""Running store work off the event loop: every access is a thread worker with its own
connection that posts a message back. Widgets are never touched from a worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

from tui.app.messages import QueryFailed, StoreAnswered, StoreWaited, StoreWasBusy
from tui.core.errors import NotAllowedError, OncallError, QueryCancelled, StoreBusyError

Job = Callable[[], Any]


def run_store_job(
    target: MessagePump,
    what: str,
    job: Job,
    done: Callable[[Any], Message],
    *,
    group: str = "store",
    exclusive: bool = False,
) -> Worker[None]:
    """Run `job` in a thread worker; post `done(result)` to `target` when it returns.

    The app hears that the store is being waited on, and how it ended; a busy store
    and any failure become messages, never a traceback. A cancelled worker's result is
    dropped (Esc cancels the long ones)."""
    app = target.app

    def work() -> None:
        app.post_message(StoreWaited(what))
        try:
            result = job()
        except StoreBusyError as exc:
            app.post_message(StoreWasBusy(what, exc.holder_pid))
            return
        except QueryCancelled:
            return  # the person asked for it; the app already said so
        except NotAllowedError as exc:
            app.post_message(QueryFailed(what, exc.message, "not allowed"))
            return
        except OncallError as exc:
            app.post_message(QueryFailed(what, exc.message, exc.title))
            return
        except Exception as exc:  # a failed query is a notification, not a crash
            app.post_message(QueryFailed(what, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            app.post_message(StoreAnswered(what))
        if not get_current_worker().is_cancelled:
            target.post_message(done(result))

    return app.run_worker(
        work, thread=True, group=group, exclusive=exclusive, exit_on_error=False, description=what
    )
