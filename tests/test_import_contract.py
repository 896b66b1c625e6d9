"""tui.core never imports Textual or the app: the product works without a screen."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui.core


def test_core_imports_no_ui() -> None:
    modules = [m.name for m in pkgutil.iter_modules(tui.core.__path__, "tui.core.")]
    assert len(modules) > 5
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
