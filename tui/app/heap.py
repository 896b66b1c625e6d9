"""Garbage collection kept off the path of a key press.

A full (generation 2) collection walks every tracked object: with textual, rich,
polars, duckdb and pydantic loaded that is about 120,000 objects before any data, and
it took 45-85 ms whenever it happened to fall in a key's handling (measured on a tab
switch at demo scale). So the objects alive once the app has started, which live as
long as it does, are frozen out of collection, and full collections are run when the
user has not pressed anything for a while rather than whenever the allocator counts
say so. Young generations are still collected as usual; reference counting frees
everything that is not in a cycle immediately, as always.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_SECONDS = 2.0
"""Run a deferred full collection only after this long without input."""

EVERY_SECONDS = 30.0
"""With no input at all, still collect this often (polls and loads allocate too)."""

NEVER = 2**31 - 1
"""A generation-2 threshold no allocation count reaches: no automatic full collection."""


class QuietCollector:
    """Defers full collections to quiet moments, and undoes that when the app stops."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._clock = clock
        self.last_input = clock()
        self.last_collection = clock()
        self.collections = 0

    def start(self) -> None:
        """Freeze what is alive now and stop automatic full collections."""
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        gc.collect()  # what is garbage already should not be frozen with the rest
        gc.freeze()
        young, middle, _full = self._saved
        gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        """Back to Python's defaults (tests run many apps in one process)."""
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        gc.unfreeze()
        self._saved = None

    def touched(self) -> None:
        """The user pressed a key or used the mouse."""
        self.last_input = self._clock()

    def collect_if_quiet(self) -> bool:
        """A full collection, if the user has been still for IDLE_SECONDS and has done
        something since the last one (or EVERY_SECONDS went by)."""
        now = self._clock()
        if self._saved is None or now - self.last_input < IDLE_SECONDS:
            return False
        if self.last_input < self.last_collection and now - self.last_collection < EVERY_SECONDS:
            return False
        gc.collect()
        self.last_collection = self._clock()
        self.collections += 1
        return True
