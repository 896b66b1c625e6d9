"""Opening the Textual app from the command line (imported only when needed)."""

from __future__ import annotations

from tui.cli.common import Env
from tui.core.store.connection import APP_TIMEOUT, Store


def open_app(env: Env) -> None:
    """Run the app on the configured store until the user quits."""
    # Imported here so that commands other than the app never load Textual.
    from tui.app.main import OncallApp

    # The app's store has a short deadline: a busy store is said, never waited on.
    store = Store(env.settings().store_path, timeout=APP_TIMEOUT)
    OncallApp(env.session(store)).run()
