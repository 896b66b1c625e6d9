"""Guards on the shape of the code, written to be read by someone new to it.

- No import circle between modules of `tui`, counting imports inside functions and under
  `TYPE_CHECKING`: a circle hidden in a function still means neither module can be
  understood (or tested) without the other.
- `tui/core` is split into rooms (subpackages), and no module grows past 600 lines.
- No function-level import of a `tui` module in `tui/core` or `tui/app`: such imports
  hide dependencies (and circles) from the reader and from import-linter. The command
  line keeps a few, by name, so that `oncall --help` never loads Textual.

The import graph is read with `ast`, never by importing, so a broken module cannot hide
its edges.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tui"
MAX_LINES = 600
MIN_CORE_ROOMS = 6

# The only function-level imports of `tui` modules allowed, as (importing module,
# imported module): each keeps start-up fast (issue 14: `oncall --help` and `alerts
# list` at most 2.5x `import duckdb`). Opening the app imports Textual; the CLI's
# shared module defers the store (DuckDB), the config models (pydantic), the outbox's
# door and rich's console to the commands that use them; `alerts list` defers the
# episode chart and the surfacing digest to `alerts show` and a surfacing policy; an
# alert's drift picture needs the baseline machinery a listing does not.
LAZY_ALLOWED_MODULES = frozenset({"tui.cli.open_app"})  # may import lazily inside itself
LAZY_ALLOWED_EDGES = frozenset(
    {
        ("tui.cli.main", "tui.cli.open_app"),
        ("tui.cli.demo", "tui.cli.open_app"),
        ("tui.cli.alerts", "tui.core.actions"),
        ("tui.cli.alerts", "tui.core.chart"),
        ("tui.cli.alerts", "tui.core.tuning.surfacing"),
        ("tui.cli.common", "tui.cli.console"),
        ("tui.cli.common", "tui.core.session"),
        ("tui.cli.common", "tui.core.config.settings"),
        ("tui.cli.common", "tui.core.config.folder_clock"),
        ("tui.cli.common", "tui.core.store.connection"),
        ("tui.cli.common", "tui.core.actions"),
        ("tui.core.alerts.reading", "tui.core.checks.picture"),
    }
)


def module_name(path: Path) -> str:
    """The dotted name of a file under the repository root (a package for __init__)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def tui_modules() -> dict[str, Path]:
    """Every module of `tui`, by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@dataclass(frozen=True)
class Import:
    """One import of a `tui` module, resolved to the module it loads."""

    source: str
    target: str
    line: int
    in_function: bool


def _base_of(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` reads from, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    package = source if is_package else source.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a `tui` module (`tui.x.y.func` -> `tui.x.y`)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _walk(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under `node`, with whether it sits inside a function body."""
    for child in ast.iter_child_nodes(node):
        inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield child, inside
        yield from _walk(child, inside)


def imports_of(source: str, tree: ast.Module, modules: dict[str, Path]) -> list[Import]:
    """The `tui` modules one module imports, wherever in it the import is written.

    `from a.b import c` is an edge to `a.b.c` when `c` is a submodule, else to `a.b`
    only (not to the packages above it): reading `a.b` is what the import needs.
    """
    is_package = modules[source].name == "__init__.py"
    found: list[Import] = []
    for node, in_function in _walk(tree):
        targets: list[str | None] = []
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Import):
            targets = [_resolve(alias.name, modules) for alias in node.names]
        else:
            base = _base_of(source, is_package, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in modules else _resolve(base, modules))
        for target in targets:
            if target is not None and target != source:
                found.append(Import(source, target, node.lineno, in_function))
    return found


def import_graph() -> tuple[dict[str, set[str]], list[Import]]:
    """The import graph of `tui` (module -> modules it imports) and every import in it."""
    modules = tui_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    every: list[Import] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for imp in imports_of(name, tree, modules):
            graph[name].add(imp.target)
            every.append(imp)
    return graph, every


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle for every back edge a depth-first search meets, as a closed path."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        colour[node] = grey
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, black) == grey:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif colour.get(nxt) == white:
                visit(nxt)
        stack.pop()
        colour[node] = black

    for node in sorted(graph):
        if colour[node] == white:
            visit(node)
    return cycles


# --- the guards themselves are checked first, so a passing guard means something -------


def test_find_cycles_finds_a_circle_and_only_a_circle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"x": {"y"}, "y": {"y"}}) == [["y", "y"]]


def test_the_graph_sees_module_level_function_level_and_type_checking_imports(
    tmp_path: Path,
) -> None:
    code = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from tui.core.alerts.reading import list_alerts\n"
        "from tui.core import errors\n"
        "from . import words\n"
        "if TYPE_CHECKING:\n"
        "    from tui.core.config.settings import Settings\n"
        "def f() -> None:\n"
        "    import tui.core.store.connection\n"
    )
    modules = tui_modules()
    fake = dict(modules)
    fake["tui.core.example"] = tmp_path / "example.py"
    found = {
        (i.target, i.in_function) for i in imports_of("tui.core.example", ast.parse(code), fake)
    }
    assert found == {
        # A function of a module is an edge to that module, not to the packages above.
        ("tui.core.alerts.reading", False),
        ("tui.core.errors", False),
        ("tui.core.words", False),
        ("tui.core.config.settings", False),
        ("tui.core.store.connection", True),
    }


def test_the_real_graph_has_known_edges() -> None:
    graph, _ = import_graph()
    assert len(graph) > 50
    assert "tui.core.checks.results" in graph["tui.core.alerts.episodes"]
    assert "tui.core.config.settings" in graph["tui.core.checks.kinds"]
    # `from tui.core.checks import drift, labelled, quality` names submodules.
    assert {"tui.core.checks.drift", "tui.core.checks.quality"} <= graph["tui.core.checks.kinds"]


# --- the guards -------------------------------------------------------------------------


def test_no_import_circle_in_tui() -> None:
    graph, _ = import_graph()
    cycles = find_cycles(graph)
    shown = "\n".join(" -> ".join(c) for c in cycles)
    assert not cycles, f"import circles in tui (imports inside functions count too):\n{shown}"


def test_core_is_split_into_rooms() -> None:
    rooms = sorted(p.parent.name for p in (PACKAGE / "core").glob("*/__init__.py"))
    assert len(rooms) >= MIN_CORE_ROOMS, rooms


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_no_module_is_over_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it"


def test_no_function_level_import_of_tui_outside_the_allowed_lazy_ones() -> None:
    _, every = import_graph()
    lazy = [i for i in every if i.in_function]
    checked = ("tui.core", "tui.app", "tui.cli")
    bad = [
        i
        for i in lazy
        if i.source.startswith(checked)
        and i.source not in LAZY_ALLOWED_MODULES
        and (i.source, i.target) not in LAZY_ALLOWED_EDGES
    ]
    shown = "\n".join(
        f"{tui_modules()[i.source].relative_to(ROOT)}:{i.line}: imports {i.target}" for i in bad
    )
    assert not bad, f"imports of tui modules inside functions (move them to the top):\n{shown}"
    # The allowed ones are still needed: if one goes away, drop it from the list.
    for source, target in LAZY_ALLOWED_EDGES:
        assert any(i.source == source and i.target == target for i in lazy), (source, target)
