"""Opening the Textual app from the command line (imported only when needed)."""

from __future__ import annotations

from tui.cli.common import Env


def open_app(env: Env) -> None:
    """Run the app on the configured store until the user quits."""
    from tui.app.main import OncallApp

    OncallApp(env.settings(), actor=env.actor, now_text=env.now_text).run()
