"""Plain text and number options converted without pydantic.

Typer converts every option and argument through a pydantic TypeAdapter built for it
when the command runs. For a `str`, `int` or `float` with no bounds, a parser or a
click type, that adapter does what `str()`, `int()` and `float()` do, but building it
imports pydantic and generates a schema per parameter: most of a tenth of a second
of `oncall alerts list`, a command that otherwise needs no pydantic at all. Here such
parameters get a converter of their own; every other kind (paths, enums, choices,
lists, bounded numbers) keeps Typer's.

The converters mirror Typer's answers (tests/test_cli_polish.py compares them on good
and bad values); if Typer's internals change shape, nothing is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer._click.core import Command, Context
from typer._click.exceptions import BadParameter
from typer.core import TyperGroup

try:
    from typer._coercion import RuntimeParam
    from typer._param_types import choice_coercion_annotation, coerce_cli_choice
    from typer.core import _TyperParameter as TyperParameter
except ImportError:  # a Typer without per-parameter adapters: nothing to replace
    RuntimeParam = None  # type: ignore[assignment,misc]
    TyperParameter = None  # type: ignore[assignment,misc]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value).strip()
    try:
        return int(text)
    except ValueError:
        # "3.0" is 3, as Typer takes it; "3.5" and "1e3" are refused.
        whole, dot, zeros = text.partition(".")
        if dot and zeros.strip("0") == "" and whole.lstrip("+-").isdigit():
            return int(whole)
        raise


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float(_text(value).strip())


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"", "0", "off", "f", "false", "n", "no"}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{_text(value)!r} is not true or false")


CONVERTERS: dict[type, tuple[Callable[[Any], Any], str]] = {
    str: (_text, "text"),
    int: (_integer, "a whole number"),
    float: (_number, "a number"),
    bool: (_flag, "true or false"),
}


if RuntimeParam is not None:
    # Subclasses of Typer's frozen dataclass, with its fields (no decorator: making a
    # dataclass costs start-up time, and these add no fields).

    class PlainParam(RuntimeParam):
        """A str, int, float or bool parameter converted by the Python type itself."""

        def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
            convert, expected = CONVERTERS[self.annotation]
            try:
                return convert(value)
            except ValueError:
                raise BadParameter(
                    f"{_text(value)!r} is not {expected}.", ctx=ctx, param=param
                ) from None

    class ChoiceParam(RuntimeParam):
        """An enum or literal parameter: one of its choices, as Typer matches them."""

        def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
            choices, case_sensitive = choice_coercion_annotation(
                self.annotation, self.parameter_info
            ) or ((), True)
            try:
                return coerce_cli_choice(
                    value, choices=choices, case_sensitive=case_sensitive, ctx=ctx
                )
            except ValueError as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None


def _unadorned(descriptor: Any) -> bool:
    """No bounds, parser, click type, file or path handling on the parameter."""
    info = descriptor.parameter_info
    if getattr(descriptor, "file_annotation", None) is not None:
        return False
    bounded = any(getattr(info, name, None) is not None for name in ("min", "max"))
    special = any(
        getattr(info, name, None) is not None for name in ("parser", "click_type")
    ) or bool(getattr(info, "clamp", False))
    return not bounded and not special and not getattr(descriptor, "is_path", False)


def _runtime(param: Any) -> Any:
    """The pydantic-free converter for ``param``, or None to keep Typer's."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(descriptor, "parameter_info", None) is None:
        return None
    if not _unadorned(descriptor):
        return None
    info, annotation = descriptor.parameter_info, descriptor.annotation
    if annotation in CONVERTERS:
        return PlainParam(parameter_info=info, annotation=annotation)
    if choice_coercion_annotation(annotation, info) is not None:
        return ChoiceParam(parameter_info=info, annotation=annotation)
    return None


def _lighten_param(param: Any) -> None:
    if isinstance(param, TyperParameter) and param._runtime_param is None:
        runtime = _runtime(param)
        if runtime is not None:
            param._runtime_param = runtime


def lighten(command: Command) -> Command:
    """Give the plain parameters of ``command`` (and of its subcommands), its `--help`
    included, converters that need no pydantic; returns the command."""
    if RuntimeParam is None or TyperParameter is None:
        return command
    for param in command.params:
        _lighten_param(param)
    # `--help` is made when first asked for (it depends on the context's names).
    made = command.get_help_option

    def get_help_option(ctx: Context) -> Any:
        option = made(ctx)
        _lighten_param(option)
        return option

    setattr(command, "get_help_option", get_help_option)  # noqa: B010 (a method)
    # A group whose subcommands are made when used (`lazy.LazyCommands`, not a dict)
    # lightens each as it makes it.
    if isinstance(command, TyperGroup) and isinstance(command.commands, dict):
        for sub in command.commands.values():
            lighten(sub)
    return command
