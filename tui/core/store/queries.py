"""Named SQL queries loaded from ``queries/*.sql``.

Each file holds one query with a header::

    -- name: labels_for_model
    -- What the query returns, in a sentence or two (its docstring).
    -- params: model, since
    -- fragments: slice_columns
    -- returns: prediction_id, label

``params`` are DuckDB named parameters (``$model``), always bound, never formatted;
a fragment may refer to declared parameters too (``$lo[3]``).
``fragments`` are ``{{slice_columns}}`` placeholders that only accept SQL built by
:mod:`tui.core.sqlparts` from identifiers checked against the declared schema.
The loader indexes every file at start-up and fails fast on a duplicate name, a
missing header or a parameter used but not declared (or declared but not used).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tui
from tui.core.store.sqlparts import Fragment

_PARAM = re.compile(r"(?<![:$\w])\$([A-Za-z_][A-Za-z0-9_]*)")
_FRAGMENT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# A query name is also its file name: letters, digits and _ only.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class QueryError(RuntimeError):
    """The query files are inconsistent; a programming error, not user input."""


@dataclass(frozen=True)
class Query:
    """One named query with its declared parameters and result columns."""

    name: str
    doc: str
    params: tuple[str, ...]
    fragments: tuple[str, ...]
    returns: tuple[str, ...]
    body: str
    path: Path

    def sql(self, **fragments: Fragment) -> str:
        """The SQL text with every fragment placeholder filled."""
        missing = set(self.fragments) - set(fragments)
        extra = set(fragments) - set(self.fragments)
        if missing or extra:
            raise QueryError(
                f"query {self.name}: fragments missing {sorted(missing)}, unknown {sorted(extra)}"
            )
        for key, value in fragments.items():
            if not isinstance(value, Fragment):
                raise QueryError(f"query {self.name}: fragment {key} is not a checked Fragment")

        def fill(match: re.Match[str]) -> str:
            return fragments[match.group(1)].sql

        text = _FRAGMENT.sub(fill, self.body)
        undeclared = set(_PARAM.findall(text)) - set(self.params)
        if undeclared:
            raise QueryError(f"query {self.name}: the SQL uses undeclared {sorted(undeclared)}")
        return text

    def used_params(self, text: str) -> set[str]:
        """The parameters a filled SQL text refers to (fragments may omit some)."""
        return set(_PARAM.findall(text))


def queries_dir() -> Path:
    """Where the query files are: inside the installed package, or the source tree."""
    package = Path(tui.__file__).parent
    for candidate in (package / "queries", package.parent / "queries"):
        if candidate.is_dir():
            return candidate
    raise QueryError(f"no queries directory beside {package}")


def _split_list(text: str) -> tuple[str, ...]:
    text = text.strip()
    if text in ("", "(none)", "none", "-"):
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_query(path: Path) -> Query:
    """Parse one query file; raise QueryError when its header is incomplete or wrong."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    doc: list[str] = []
    body_lines: list[str] = []
    in_header = True
    for line in text.splitlines():
        if in_header and line.startswith("--"):
            content = line[2:].strip()
            key, sep, value = content.partition(":")
            if sep and key in ("name", "params", "fragments", "returns"):
                header[key] = value.strip()
            elif content:
                doc.append(content)
            continue
        in_header = False
        body_lines.append(line)
    name = header.get("name")
    if not name:
        raise QueryError(f"{path}: missing `-- name:` header")
    if name != path.stem:
        raise QueryError(f"{path}: query name {name!r} does not match the file name")
    for key in ("params", "returns"):
        if key not in header:
            raise QueryError(f"{path}: missing `-- {key}:` header")
    body = "\n".join(body_lines).strip()
    params = _split_list(header["params"])
    used = set(_PARAM.findall(body))
    fragments = _split_list(header.get("fragments", ""))
    # A fragment may bind parameters of its own (`$lo[3]`); the filled SQL is checked again.
    if not used <= set(params) or (not fragments and used != set(params)):
        raise QueryError(f"{path}: params declared {sorted(params)} but used {sorted(used)}")
    if set(_FRAGMENT.findall(body)) != set(fragments):
        raise QueryError(f"{path}: fragments declared {sorted(fragments)} do not match the body")
    return Query(
        name=name,
        doc=" ".join(doc),
        params=params,
        fragments=fragments,
        returns=_split_list(header["returns"]),
        body=body,
        path=path,
    )


@cache
def load_queries(directory: Path | None = None) -> dict[str, Query]:
    """Index every named query; raise QueryError on a duplicate or malformed file."""
    folder = directory or queries_dir()
    found: dict[str, Query] = {}
    for path in sorted(folder.glob("*.sql")):
        query = parse_query(path)
        if query.name in found:
            raise QueryError(f"{path}: duplicate query name {query.name!r}")
        found[query.name] = query
    return found


@cache
def query(name: str) -> Query:
    """The named query; raise QueryError for a name that has no file. A query lives in
    the file of its name, so only that file is read (a command runs a handful of the
    ~170 queries; parsing them all would be most of a quick command's work)."""
    path = queries_dir() / f"{name}.sql"
    if IDENTIFIER.match(name) and path.is_file():
        found = parse_query(path)
        if found.name == name:
            return found
    try:
        return load_queries()[name]
    except KeyError:
        raise QueryError(f"unknown query {name!r}") from None


def migrations(directory: Path | None = None) -> list[tuple[int, str, str]]:
    """The schema migrations as (version, name, sql), in order; fail on gaps or duplicates."""
    folder = (directory or queries_dir()) / "migrations"
    result: list[tuple[int, str, str]] = []
    for path in sorted(folder.glob("*.sql")):
        match = re.match(r"^(\d{3})_(\w+)\.sql$", path.name)
        if not match:
            raise QueryError(f"{path}: migration files are named NNN_description.sql")
        result.append((int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in result]
    if versions != list(range(1, len(versions) + 1)):
        raise QueryError(f"migrations must be numbered 001, 002, … without gaps: {versions}")
    return result
