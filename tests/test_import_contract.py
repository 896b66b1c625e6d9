"""tui.core never imports Textual or the app: the product works without a screen."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui.core


def core_modules() -> list[str]:
    """Every module of tui.core, subpackages' modules included (not only the rooms)."""
    return sorted(m.name for m in pkgutil.walk_packages(tui.core.__path__, "tui.core."))


def test_core_imports_no_ui() -> None:
    modules = core_modules()
    assert len(modules) > 5
    # A module deep in a room can pull in the UI as well as a room's __init__ can.
    rooms = {m.name for m in pkgutil.iter_modules(tui.core.__path__, "tui.core.") if m.ispkg}
    assert rooms and rooms < set(modules)
    assert {"tui.core.alerts.episodes", "tui.core.checks.kinds", "tui.core.store.queries"} <= set(
        modules
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "ui = ('textual.', 'tui.app', 'tui.cli')\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith(ui))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_cli_starts_without_importing_textual() -> None:
    code = "import sys; import tui.cli.main; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
