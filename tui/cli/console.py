"""The rich console every command prints through, never writing user text raw.

Its own module, imported when something is first printed through rich (`common`'s
consoles are made on first use): rich's console and text take a noticeable part of a
command's start-up, and `alerts list --json`, `--help` and `--version` never use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from tui.core.words import visible


class SafeConsole(Console):
    """A console that never writes user text raw: every string printed (a message, a
    table cell, a title) has its control characters and bidi overrides shown escaped
    (`words.visible`), newlines kept; and as a last guard, so does any text a hand-built
    Text carries into the output (a control segment, a cursor move, stays as it is)."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text, lines=True), **kwargs)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            text = segment.text
            if segment.control or text.isprintable():
                yield segment
            else:
                yield Segment(visible(text, lines=True), segment.style)
