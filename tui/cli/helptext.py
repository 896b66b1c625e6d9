"""The example at the end of every command's `--help`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def example(*lines: str) -> str:
    """An epilog showing the command in use, one command a line, never rewrapped (click
    leaves a paragraph that starts with a backspace line as it is)."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in lines)


def with_example(*lines: str) -> Callable[[F], F]:
    """Give a command function loaded by itself (`lazy.COMMANDS`) the example its help
    ends with."""

    def mark(command: F) -> F:
        setattr(command, "epilog", example(*lines))  # noqa: B010 (read by lazy.load)
        return command

    return mark
