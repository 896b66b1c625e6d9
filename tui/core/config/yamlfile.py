"""Strict YAML reading: safe loading, duplicate keys rejected, YAML 1.2 scalars, key lines.

PyYAML implements YAML 1.1, where ``NO`` is false, ``1:30`` is 90 and ``1e-3`` is a
string. Config files are read with the YAML 1.2 core rules instead, so what a user
writes means what it looks like.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KeyPath = tuple[str | int, ...]

# Limits on what a config file may be, so that a hostile or broken one is refused
# quickly: its size, how deep it nests, and how many values it stands for once its
# aliases (``*name``) are expanded -- a few hundred bytes of nested aliases ("billion
# laughs") would otherwise stand for billions.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 100
MAX_NODES = 100_000


class YamlError(ValueError):
    """A YAML file could not be read; the message names the file and line."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars, no duplicate keys, bounded depth."""

    source = "<yaml>"
    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # PyYAML composes recursively; stop long before Python's recursion limit.
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise YamlError(f"{self.source}:{line}: nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# Drop the YAML 1.1 implicit resolvers for bool, int and float, then add 1.2 core ones.
_StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag
        not in (
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
            # Dates stay text so that validation, not the parser, reports a bad one with its key.
            "tag:yaml.org,2002:timestamp",
        )
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _Budget:
    """How many values the walk may still visit, counting each alias's expansion."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.left = MAX_NODES
        # The lines of the values being walked, outermost first.
        self.lines: list[int] = []

    def spend(self, node: Node) -> None:
        self.left -= 1
        if self.left < 0 or len(self.lines) > MAX_DEPTH:
            # An alias points back up the file, so the walk's furthest line is the
            # one that uses it.
            line = max(self.lines, default=node.start_mark.line + 1)
            raise YamlError(
                f"{self.source}:{line}: config uses YAML aliases (&/*) that expand to more "
                f"than {MAX_NODES:,} values or {MAX_DEPTH} levels; write the values out"
            )


def _key_lines(
    node: Node, path: KeyPath, out: dict[KeyPath, int], source: str, budget: _Budget
) -> None:
    budget.spend(node)
    out[path] = node.start_mark.line + 1
    budget.lines.append(node.start_mark.line + 1)
    try:
        _walk_children(node, path, out, source, budget)
    finally:
        budget.lines.pop()


def _walk_children(
    node: Node, path: KeyPath, out: dict[KeyPath, int], source: str, budget: _Budget
) -> None:
    if isinstance(node, MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlError(
                    f"{source}:{line}: duplicate key {key!r} (first defined on line {seen[key]})"
                )
            seen[key] = line
            _key_lines(value_node, (*path, str(key)), out, source, budget)
            out[(*path, str(key))] = line
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _key_lines(item, (*path, index), out, source, budget)


def load_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse one YAML document; return the data and a map from key path to line number.

    Refused with a YamlError: more than MAX_FILE_BYTES of text, nesting deeper than
    MAX_DEPTH, or aliases that expand to more than MAX_NODES values.
    """
    if len(text) > MAX_FILE_BYTES:
        raise YamlError(f"{source}: too big for a config file: at most {MAX_FILE_BYTES:,} bytes")
    loader = _StrictLoader(text)
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[KeyPath, int] = {}
        # Every value is visited here, aliases expanded, before anything is built from them.
        _key_lines(node, (), lines, source, _Budget(source))
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise YamlError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, lines


def load_yaml_file(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Read and parse a YAML file (see :func:`load_yaml`)."""
    try:
        with path.open("rb") as handle:
            # Read one byte past the limit, never the whole of a huge (or endless) file.
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise YamlError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise YamlError(f"{path}: too big for a config file: at most {MAX_FILE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlError(f"{path}: not UTF-8 text") from None
    return load_yaml(text, str(path))
