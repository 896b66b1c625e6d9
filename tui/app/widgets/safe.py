"""User text on screen as it was typed, never as orders to the terminal.

A bug title, a note or a slice value may carry an escape sequence, a carriage return or
a bidi override; written raw it would recolour or retitle the terminal, overwrite what
is shown, or show text in another order than it is stored. Every such character is
shown as its escape (`words.visible`): a cell or a caption on one line, a detail pane
with its newlines kept. Markup is never read here: what comes out is Text.
"""

from __future__ import annotations

from rich.text import Text

from tui.core.words import visible


def shown(value: str | Text, *, lines: bool = True) -> Text:
    """A string or a Text, its unsafe characters shown escaped, its styles kept; with
    `lines` False, newlines and tabs escaped too."""
    if isinstance(value, str):
        return Text(visible(value, lines=lines))
    if value.plain.isprintable() or (lines and visible(value.plain, lines=True) == value.plain):
        return value
    # Cut at every style boundary, so each piece is styled whole and can be escaped
    # alone: an escape is longer than its character and would shift the spans.
    cuts = sorted({i for span in value.spans for i in (span.start, span.end)})
    out = value.blank_copy()
    for piece in value.divide(cuts):
        # The whole text's style is out's already; a piece keeps only its own.
        style = "" if piece.style == value.style else piece.style
        escaped = Text(visible(piece.plain, lines=lines), style=style)
        for span in piece.spans:
            escaped.stylize(span.style)
        out.append_text(escaped)
    return out
