"""`oncall watch`: a shift's long-running loop over a drop folder.

The drop folder says by its layout which model and kind a file is:

    DIR/<model>/predictions/<file>      DIR/<model>/labels/<file>

(any data file the ingest reads: Parquet, CSV, JSON lines, compressed or not). Files
whose names start with `.` or `_`, or end in `.tmp`, `.part`, `.partial` or
`.crdownload`, are being written by someone and are left alone; so is a file until its
size and modification time have stayed the same for `settle` (a writer that is still
writing changes them). Each still file is ingested once, in one transaction (the
ingest's own all-or-nothing); a file whose content was ingested before is recognised
by its hash and not read again, even by another watch after a restart.

Each turn: ingest what is new and still, run the checks (when data came in, and every
`every`), send the notifications that are due, then sleep until the next of these is
due. A stop request (SIGTERM) is heard between steps: the step under way finishes, so
no file is half-ingested and no notification half-recorded; then every notification
already committed is sent (timers or not) before the loop returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui.core.config.settings import Settings
from tui.core.config.times import Clock
from tui.core.errors import (
    ConfigError,
    OncallError,
    StoreBusyError,
    StoreError,
    StoreUnavailable,
)
from tui.core.ingest.files import known_format
from tui.core.ingest.load import ingest_file
from tui.core.monitor.run import run_checks
from tui.core.notify.deliver import FlushReport, WallClock, flush
from tui.core.store.connection import Store

KINDS = ("predictions", "labels")
_BUSY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
# How often the drop folder is looked at between checks.
POLL = timedelta(seconds=1)
# How long a stopping watch goes on sending what was committed (retries included).
LAST_SEND = timedelta(seconds=20)


@dataclass(frozen=True)
class Step:
    """One line of the watch's log: when, which step, what it did."""

    at: datetime
    step: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The line as a JSON object (`oncall watch --json`)."""
        return {"at": self.at, "step": self.step, "message": self.message, **self.detail}


@dataclass(frozen=True)
class DropFile:
    """A data file in the drop folder and what its place says it is."""

    path: Path
    model: str
    kind: str


def drop_files(folder: Path, settings: Settings) -> tuple[list[DropFile], list[str]]:
    """The data files of the drop folder, and what in it does not fit the layout (a
    folder named after no declared model). Never follows a user's pattern: only the
    folder's own listing."""
    files: list[DropFile] = []
    strays: list[str] = []
    if not folder.is_dir():
        return files, strays
    for model_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if model_dir.name.startswith((".", "_")):
            continue
        if model_dir.name not in settings.config.models:
            strays.append(f"{model_dir.name}/: no model of that name is declared")
            continue
        for kind in KINDS:
            kind_dir = model_dir / kind
            if not kind_dir.is_dir():
                continue
            for path in sorted(kind_dir.iterdir()):
                name = path.name
                if not path.is_file() or name.startswith((".", "_")):
                    continue
                if name.endswith(_BUSY_SUFFIXES) or known_format(path) is None:
                    continue
                files.append(DropFile(path, model_dir.name, kind))
    return files, strays


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Watch:
    """The loop. `stop()` may be called from a signal handler."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        folder: Path | None,
        *,
        every: timedelta,
        settle: timedelta,
        data_clock: Clock,
        clock: WallClock,
        actor: str,
        log: Callable[[Step], None],
    ) -> None:
        self.store = store
        self.settings = settings
        self.folder = folder
        self.every = every
        self.settle = settle
        self.data_clock = data_clock
        self.clock = clock
        self.actor = actor
        self.log = log
        self.stopping = False
        self.stop_reason = ""
        # path -> (size, mtime) it had, and since when it has had them
        self._seen: dict[Path, tuple[tuple[int, int], datetime]] = {}
        # path -> the (size, mtime) it was ingested (or refused) with
        self._done: dict[Path, tuple[int, int]] = {}
        self._told_strays: set[str] = set()
        self._next_check = clock.now()

    def stop(self, reason: str = "stop requested") -> None:
        """Ask the loop to end after the step under way."""
        self.stopping = True
        self.stop_reason = reason

    def _say(self, step: str, message: str, **detail: Any) -> None:
        self.log(Step(self.clock.now(), step, message, detail))

    def still_files(self) -> list[DropFile]:
        """The files that are new (or changed) and have been still for `settle`."""
        if self.folder is None:
            return []
        files, strays = drop_files(self.folder, self.settings)
        for stray in strays:
            if stray not in self._told_strays:
                self._told_strays.add(stray)
                self._say("skip", stray)
        now = self.clock.now()
        ready = []
        for drop in files:
            sig = _signature(drop.path)
            if sig is None or self._done.get(drop.path) == sig:
                continue
            seen = self._seen.get(drop.path)
            if seen is None or seen[0] != sig:
                self._seen[drop.path] = (sig, now)
                continue
            if now - seen[1] >= self.settle:
                ready.append(drop)
        return ready

    def ingest(self, drop: DropFile) -> bool:
        """Ingest one still file (one transaction); whether it added or changed rows."""
        sig = _signature(drop.path)
        seen = self._seen.get(drop.path)
        if sig is None or seen is None or seen[0] != sig:
            return False  # it moved again: wait for it to be still once more
        where = f"{drop.model}/{drop.kind}/{drop.path.name}"
        try:
            result = ingest_file(
                self.store,
                self.settings,
                "predictions" if drop.kind == "predictions" else "labels",
                drop.model,
                drop.path,
                actor=self.actor,
                now=self.data_clock.now(),
            )
        except (ConfigError, StoreBusyError, StoreError, StoreUnavailable):
            raise  # not the file's fault: the turn ends, the file waits
        except OncallError as exc:
            # A bad file is told once and left alone until it changes.
            self._done[drop.path] = sig
            self._say("ingest", f"{where}: refused: {exc}", file=where, error=str(exc))
            return False
        self._done[drop.path] = sig
        if result.already_ingested:
            self._say("ingest", f"{where}: already ingested", file=where, rows=result.rows)
            return False
        self._say(
            "ingest",
            f"{where}: {result.rows:,} rows, {result.added:,} added",
            file=where,
            rows=result.rows,
            added=result.added,
            replaced=result.replaced,
        )
        return True

    def check(self) -> None:
        """Run the due checks (each model one transaction)."""
        run = run_checks(self.store, self.settings, self.data_clock.now())
        self._say(
            "check",
            f"checked: alerts {len(run.opened)} opened, {len(run.updated)} updated, "
            f"{len(run.resolved)} resolved; {run.notifications} notifications queued",
            opened=run.opened,
            updated=run.updated,
            resolved=run.resolved,
            notifications=run.notifications,
            complete=run.complete,
            lake_skipped=run.lake_skipped,
        )

    def send(self, *, force: bool = False, wait: timedelta = timedelta(0)) -> FlushReport:
        """Send what is due (`force`: everything committed)."""
        report = flush(
            self.store,
            self.settings,
            self.data_clock,
            self.clock,
            wait=wait,
            force=force,
            stop=None if force else (lambda: self.stopping),
        )
        if report.sent or report.failed or report.retried:
            self._say(
                "notify",
                f"sent {report.sent}, {report.failed} failed, {report.retried} to retry; "
                f"{report.pending} pending",
                **report.to_json(),
            )
        return report

    def run(self) -> None:
        """Turn until stopped. A store that stays busy costs a turn (said in the log),
        not the watch; a damaged or full one ends it (exit 74)."""
        where = str(self.folder) if self.folder is not None else "no drop folder"
        self._say("start", f"watching {where}, checks every {self.every}")
        self._next_check = self.clock.now()
        while not self.stopping:
            try:
                self._turn()
            except StoreBusyError as exc:
                self._say("error", f"{exc}; trying again in {POLL.total_seconds():g} s")
                self.clock.sleep(POLL.total_seconds())
        try:
            last = self.send(force=True, wait=LAST_SEND)
            left = last.pending
        except StoreBusyError as exc:
            self._say("error", str(exc))
            left = -1
        self._say(
            "stop",
            f"stopped ({self.stop_reason}); "
            + (f"{left} notifications left pending" if left >= 0 else "the store was busy"),
            pending=left,
        )

    def _turn(self) -> None:
        """One turn: ingest what is still, check, send, sleep until the next thing."""
        came = False
        for drop in self.still_files():
            if self.stopping:
                return
            came = self.ingest(drop) or came
        if self.stopping:
            return
        if came or self.clock.now() >= self._next_check:
            self.check()
            self._next_check = self.clock.now() + self.every
        if self.stopping:
            return
        report = self.send()
        wake = min(self._next_check, self.clock.now() + POLL)
        if report.next_due is not None:
            wake = min(wake, report.next_due)
        while not self.stopping and self.clock.now() < wake:
            self.clock.sleep(min((wake - self.clock.now()).total_seconds(), 0.2))
