"""One private snapshot of an input file: what is hashed is exactly what is read.

A production file can be replaced while it is being ingested. Hashing the path and then
letting DuckDB open the path again would log the first file's SHA-256 with the second
file's rows, and the real first file would later be skipped as "already ingested". So
the file is opened once, copied byte for byte into a private file with a plain name
while the bytes are hashed, and DuckDB reads only that copy. The plain name also means
a path such as ``g*.csv`` or ``h[1].csv`` is that one file: DuckDB globs any path it
is given, even one that exists literally. Each file of a folder or pattern gets its own
snapshot, all taken before the store is locked.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import InputError, OncallError

_CHUNK = 1 << 20
# Characters DuckDB's readers treat as a glob pattern anywhere in a path.
_GLOB_CHARS = frozenset("*?[]{}")


class FileUnreadable(OncallError):
    """A file that exists could not be read, or its private copy could not be written
    (permissions, an I/O error, a full disk): exit 74, as DESIGN.md says."""

    exit_code = 74
    title = "cannot read"


@dataclass(frozen=True)
class Snapshot:
    """The private copy of one input file and the SHA-256 of exactly its bytes."""

    source: Path
    copy: Path
    sha256: str
    size: int

    def discard(self) -> None:
        """Delete the private copy (it is only ever needed for one ingest)."""
        # A copy left behind is harmless: it has a private name and is never read again.
        with contextlib.suppress(OSError):
            self.copy.unlink(missing_ok=True)


def private_folder(preferred: Path) -> Path:
    """Where the private copy goes: beside the store when that folder exists, is
    writable and has a name DuckDB will not glob; else the system's temporary folder."""
    for candidate in (preferred, Path(tempfile.gettempdir())):
        try:
            folder = candidate.resolve()
        except OSError:
            continue
        if _GLOB_CHARS & set(str(folder)):
            continue
        if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
            return folder
    raise FileUnreadable(
        f"no folder to hold a private copy of the input: {preferred} and the temporary "
        "folder are not writable (or their names hold *, ? or [ ])"
    )


def _not_regular(path: Path, mode: int) -> InputError | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return InputError(f"{path}: is a directory, not a file; name the files in it")
    if stat.S_ISFIFO(mode):
        # Never opened: reading a pipe would block until some other process writes to it.
        return InputError(f"{path}: is a named pipe (FIFO), not a file; it was not read")
    if stat.S_ISSOCK(mode):
        return InputError(f"{path}: is a socket, not a file; it was not read")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return InputError(f"{path}: is a device, not a file; it was not read")
    return InputError(f"{path}: not a regular file; it was not read")


def _open_error(path: Path, exc: OSError) -> OncallError:
    code = exc.errno
    if code == errno.ELOOP:
        return InputError(f"{path}: a symbolic link loop (the link leads back to itself)")
    if code == errno.ENOENT:
        if path.is_symlink():
            return InputError(f"{path}: a symbolic link to a file that does not exist")
        return InputError(f"{path}: no such file")
    if code == errno.ENOTDIR:
        return InputError(f"{path}: no such file (a part of the path is not a folder)")
    if code == errno.ENAMETOOLONG:
        return InputError(f"{path}: the path is too long")
    if code in (errno.EACCES, errno.EPERM):
        return FileUnreadable(f"{path}: cannot read the file: permission denied")
    return FileUnreadable(f"{path}: cannot read the file: {exc.strerror or exc}")


def require_present(path: Path) -> None:
    """The error a missing path (or a broken link, a loop, a path through a file) gets,
    raised before anything else about the path is judged: `nosuch` is "no such file",
    not a file of an unknown format."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG):
            raise _open_error(path, exc) from None


def _open_regular(path: Path) -> int:
    """A read descriptor for ``path`` if, and only if, it is a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _open_error(path, exc) from None
    refusal = _not_regular(path, mode)
    if refusal is not None:
        raise refusal
    # O_NONBLOCK: should the path become a FIFO between stat and open, opening it
    # returns at once instead of waiting for a writer; regular files ignore the flag.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _open_error(path, exc) from None
    try:
        refusal = _not_regular(path, os.fstat(fd).st_mode)
    except OSError as exc:
        os.close(fd)
        raise _open_error(path, exc) from None
    if refusal is not None:
        os.close(fd)
        raise refusal
    return fd


def hash_file(path: Path) -> str:
    """The SHA-256 of a regular file's bytes, read once without a copy (to tell whether
    a file changed since its snapshot was last taken). Raise as take_snapshot does."""
    fd = _open_regular(path)
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as source:
        while True:
            try:
                chunk = source.read(_CHUNK)
            except OSError as exc:
                raise _open_error(path, exc) from None
            if not chunk:
                return digest.hexdigest()
            digest.update(chunk)


def take_snapshot(path: Path, folder: Path, suffix: str) -> Snapshot:
    """Copy ``path`` once into a private file in ``folder`` while hashing its bytes.

    Raise InputError (exit 2) for a path that is not a regular file, FileUnreadable
    (exit 74) when it cannot be read or the copy cannot be written.
    """
    fd = _open_regular(path)
    digest = hashlib.sha256()
    size = 0
    try:
        out_fd, name = tempfile.mkstemp(prefix=".oncall-ingest-", suffix=suffix, dir=folder)
    except OSError as exc:
        os.close(fd)
        raise FileUnreadable(
            f"{path}: cannot write a private copy in {folder}: {exc.strerror or exc}"
        ) from None
    copy = Path(name)
    try:
        with os.fdopen(fd, "rb") as source, os.fdopen(out_fd, "wb") as target:
            while True:
                try:
                    chunk = source.read(_CHUNK)
                except OSError as exc:
                    raise _open_error(path, exc) from None
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
                try:
                    target.write(chunk)
                except OSError as exc:
                    raise FileUnreadable(
                        f"{path}: cannot write a private copy in {folder}: {exc.strerror or exc}"
                    ) from None
    except BaseException as exc:
        copy.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            # Flushing the copy on close can fail too (a full disk).
            raise FileUnreadable(
                f"{path}: cannot write a private copy in {folder}: {exc.strerror or exc}"
            ) from None
        raise
    return Snapshot(path, copy, digest.hexdigest(), size)
