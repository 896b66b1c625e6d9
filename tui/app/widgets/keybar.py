"""The key bar: the keys that do something now, on one line at the bottom.

Textual's Footer recomposes a widget per key whenever the bindings change, which is
on every focus change; at 15-20 keys that was a third of a screen switch's time. This
bar is one widget that re-renders a line of text, and only when the keys changed.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class Key(NamedTuple):
    """One key as shown: what to press, what it does, whether it applies now."""

    key: str
    display: str
    description: str
    enabled: bool
    pinned: bool = False


PINNED_ACTIONS = ("help", "command_palette")
"""Kept at the right end, so a narrow terminal still shows where help is."""


class KeyBar(Widget):
    """The keys of the focused part and the app; a click presses the key."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keybar--key",
        "keybar--description",
        "keybar--disabled",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .keybar--disabled {
        text-style: dim;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: tuple[Key, ...] = ()
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        keys = self.current_keys(screen)
        if keys != self.keys:
            self.keys = keys
            self.refresh()

    def current_keys(self, screen: Screen[object]) -> tuple[Key, ...]:
        """The shown bindings of the screen's focus chain, one per action, focused part
        first; help and the command palette are pinned."""
        seen: set[str] = set()
        keys: list[Key] = []
        for key, active in screen.active_bindings.items():
            binding = active.binding
            pinned = binding.action in PINNED_ACTIONS
            if binding.action in seen or not (binding.show or pinned):
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            keys.append(Key(key, display, binding.description, active.enabled, pinned))
        return tuple(keys)

    def render(self) -> Text:
        left = [k for k in self.keys if not k.pinned]
        right = [k for k in self.keys if k.pinned]
        pinned, pinned_spans = self._line(right)
        text, self._spans = self._line(left)
        room = self.size.width - len(pinned)
        if len(text) > room:
            text.truncate(max(room - 1, 0))
            text.append("…")
            self._spans = [(a, min(b, room - 1), k) for a, b, k in self._spans if a < room - 1]
        text.pad_right(room - len(text))
        self._spans += [(a + room, b + room, k) for a, b, k in pinned_spans]
        text.append_text(pinned)
        return text

    def _line(self, keys: list[Key]) -> tuple[Text, list[tuple[int, int, str]]]:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        disabled = self.get_component_rich_style("keybar--disabled", partial=True)
        text = Text(no_wrap=True, end="")
        spans = []
        for shown in keys:
            start = len(text)
            dim = disabled if not shown.enabled else None
            text.append(f" {shown.display} ", style=key_style + dim if dim else key_style)
            if shown.description:
                text.append(
                    f"{shown.description} ",
                    style=description_style + dim if dim else description_style,
                )
            spans.append((start, len(text), shown.key))
            text.append(" ")
        return text, spans

    def key_at(self, x: int) -> str | None:
        """The key drawn at column x, if any."""
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is not None:
            event.stop()
            self.app.simulate_key(key)
