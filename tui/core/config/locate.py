"""Where the config is: the one given, `$ONCALL_CONFIG`, or `./oncall.yaml`.

Apart from the models in `settings.py`, so that finding a config (for its folder's
clock, or a config already checked) imports no pydantic.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "ONCALL_CONFIG"
DEFAULT_CONFIG_NAME = "oncall.yaml"
# `oncall demo` writes this beside the config while it builds, and removes it when done:
# a config beside it belongs to a half-built demo (the build was killed).
DEMO_BUILDING = ".oncall-demo.building"


def find_config(explicit: str | Path | None) -> Path:
    """The config path: the one given, then ``$ONCALL_CONFIG``, then ``./oncall.yaml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return Path.cwd() / DEFAULT_CONFIG_NAME
