"""Package names loaded on first use (PEP 562), so importing a package for one light
module does not import its heavy siblings: every command pays at start-up for what
its imports import."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for ``package`` that imports ``name`` from its module
    ``where[name]`` (a submodule of the package) when it is first asked for."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
