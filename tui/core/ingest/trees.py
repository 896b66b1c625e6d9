"""Folders, Hive-partitioned trees and `--glob` patterns as lists of data files.

The walk is ours (os.scandir, sorted by path), never a glob of a path the user named:
hidden files and writers' markers (`_SUCCESS`, `_committed_*`, `.crc`) are skipped, a
tree mixing formats is refused, and `key=value` folders give partition values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import unquote

from tui.core.errors import InputError
from tui.core.ingest.files import Compression, Format, compression_of, detect_format
from tui.core.ingest.snapshot import FileUnreadable

_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_PATTERN_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class DataFile:
    """One data file of a folder or pattern: where it is, how it is read, and the Hive
    ``key=value`` parts of its path (outermost first; a value None is Hive's null)."""

    path: Path
    format: Format
    compression: Compression | None
    partition: tuple[tuple[str, str | None], ...] = ()

    @property
    def partition_values(self) -> dict[str, str | None]:
        """The partition as a mapping (an inner folder overrides an outer one)."""
        return dict(self.partition)


def is_marker(name: str) -> bool:
    """A name a data writer leaves beside its files that holds no rows: hidden files
    (``.x``), underscore files (``_SUCCESS``, ``_committed_123``, ``_metadata``,
    ``_temporary/``) and checksums (``.crc``)."""
    return name.startswith((".", "_")) or name.lower().endswith(".crc")


def _hive_part(name: str) -> tuple[str, str | None] | None:
    key, sep, value = name.partition("=")
    if not sep or not key:
        return None
    # Writers escape / = % and other characters in values as %XX.
    text = unquote(value)
    return key, (None if text == _HIVE_NULL else text)


def _hive_parts(parts: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    found = (_hive_part(p) for p in parts)
    return tuple(p for p in found if p is not None)


def _listing(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except PermissionError:
        raise FileUnreadable(f"{folder}: cannot list the folder: permission denied") from None
    except OSError as exc:
        raise FileUnreadable(f"{folder}: cannot list the folder: {exc.strerror or exc}") from None


def _kind(folder: Path, entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a folder to descend into (False: a file); a symbolic link
    to a folder is refused, since followed links can loop, and its files are not
    skipped silently."""
    path = folder / entry.name
    try:
        is_dir = entry.is_dir(follow_symlinks=False)
        linked_dir = not is_dir and entry.is_symlink() and path.is_dir()
    except OSError:
        return False
    if linked_dir:
        raise InputError(
            f"{path}: a symbolic link to a folder; links to folders inside a folder "
            "to ingest are not followed (name the folder it leads to instead)"
        )
    return is_dir


def _walk(folder: Path, depth: tuple[str, ...]) -> list[tuple[Path, tuple[str, ...]]]:
    """Every non-marker file under ``folder`` in path order, with the folder names
    between ``folder`` and it. Our own walk: the user's path is never a glob."""
    found: list[tuple[Path, tuple[str, ...]]] = []
    for entry in _listing(folder):
        if is_marker(entry.name):
            continue
        if _kind(folder, entry):
            found += _walk(folder / entry.name, (*depth, entry.name))
        else:
            found.append((folder / entry.name, depth))
    return found


def _walk_pattern(
    folder: Path, pattern: tuple[str, ...], depth: tuple[str, ...]
) -> list[tuple[Path, tuple[str, ...]]]:
    """The non-marker files under ``folder`` whose path matches ``pattern`` part by
    part (``*`` stays within one name; ``**`` spans any number of folders), descending
    only where the pattern can still match."""
    head, rest = pattern[0], pattern[1:]
    found: list[tuple[Path, tuple[str, ...]]] = []
    if head == "**":
        if rest:
            found += _walk_pattern(folder, rest, depth)  # ** as no folder at all
        for entry in _listing(folder):
            if is_marker(entry.name):
                continue
            if _kind(folder, entry):
                found += _walk_pattern(folder / entry.name, pattern, (*depth, entry.name))
            elif not rest:
                found.append((folder / entry.name, depth))  # a final ** takes every file
        return found
    for entry in _listing(folder):
        if is_marker(entry.name) or not fnmatchcase(entry.name, head):
            continue
        is_dir = _kind(folder, entry)
        if rest and is_dir:
            found += _walk_pattern(folder / entry.name, rest, (*depth, entry.name))
        elif not rest and not is_dir:
            found.append((folder / entry.name, depth))
    return found


def _data_files(
    label: str, root: Path, found: list[tuple[Path, tuple[str, ...]]], override: str | None
) -> list[DataFile]:
    """Typed data files, refusing files of no known format and a mix of formats."""
    outer = _hive_parts(root.parts)
    files: list[DataFile] = []
    for path, depth in found:
        fmt = detect_format(path, override)
        parts = outer + _hive_parts(depth)
        files.append(DataFile(path, fmt, compression_of(path), parts))
    formats = {f.format: f.path for f in files}
    if len(formats) > 1:
        (fa, pa), (fb, pb) = list(formats.items())[:2]
        raise InputError(
            f"{label}: mixes formats ({pa} is {fa}, {pb} is {fb}); the files of one "
            "ingest must share a format; nothing was written"
        )
    return files


def single_file(path: Path, override: str | None) -> DataFile:
    """One named file, its partition values read from its folders' `key=value` names as
    for a file found in a tree (`preds/region=EU/part-0.parquet` has region EU either
    way, named alone or found under `preds/`)."""
    return DataFile(
        path, detect_format(path, override), compression_of(path), _hive_parts(path.parent.parts)
    )


def folder_files(root: Path, override: str | None) -> list[DataFile]:
    """The data files of a folder or Hive-partitioned tree, sorted by path.

    Hidden, underscore (``_SUCCESS``, ``_committed_*``) and ``.crc`` files are skipped;
    a file of no known format or a mix of formats is refused (InputError), as is a
    folder with no data files."""
    if (root / "_delta_log").is_dir():
        # A Delta table's folder keeps files its log has removed: reading every file
        # would count replaced and deleted rows again, silently.
        raise InputError(
            f"{root}: is a Delta table (it has a _delta_log folder); its folder holds files "
            "the table no longer uses, so it is not read file by file; export the rows "
            "to Parquet first; nothing was written"
        )
    files = _data_files(str(root), root, _walk(root, ()), override)
    if not files:
        raise InputError(
            f"{root}: is a directory with no data files in it (hidden, _SUCCESS-style "
            "and .crc files are skipped); nothing was written"
        )
    return files


def pattern_root(pattern: str) -> tuple[Path, tuple[str, ...]]:
    """A pattern's fixed leading folder and the parts matched under it."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts[:-1]:
        if _PATTERN_CHARS & set(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(), parts[len(fixed) :]


def pattern_files(pattern: str, override: str | None) -> tuple[Path, list[DataFile]]:
    """The data files a pattern (``preds/dt=*/*.parquet``) names, matched by our code
    over a walk of its fixed leading folder and sorted by path; InputError naming the
    pattern when it matches nothing."""
    root, rest = pattern_root(pattern)
    found: list[tuple[Path, tuple[str, ...]]] = []
    if root.is_dir() and rest:
        # `a/**/**/x` reaches a file along several routes: each file once, in path order.
        unique = {path: depth for path, depth in _walk_pattern(root, rest, ())}
        found = sorted(unique.items(), key=lambda item: (*item[1], item[0].name))
    if not found:
        raise InputError(
            f"the pattern {pattern!r} matches no data files under {str(root) or '.'} "
            "(hidden, _SUCCESS-style and .crc files are never matched); nothing was written",
            field="glob",
        )
    return root, _data_files(repr(pattern), root, found, override)
