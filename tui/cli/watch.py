"""`oncall watch [DIR] [--every 5m]`: a shift's long-running loop."""

from __future__ import annotations

import signal
import sys
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from tui.cli.common import emit_json_line, env_of
from tui.cli.helptext import with_example
from tui.core.config.times import parse_duration
from tui.core.errors import UsageError
from tui.core.monitor.watch import Step, Watch
from tui.core.notify.deliver import RealClock, targets_of
from tui.core.words import visible


def _duration(text: str, option: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}", field=option.lstrip("-")) from None


@with_example("oncall watch /srv/drop --every 5m --json")
def watch(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="The drop folder: DIR/<model>/predictions/FILE and DIR/<model>/labels/FILE.",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        str, typer.Option("--every", metavar="DURATION", help="Run the checks this often.")
    ] = "5m",
    settle: Annotated[
        str,
        typer.Option(
            "--settle",
            metavar="DURATION",
            help="A file is read once its size and time stayed the same this long.",
        ),
    ] = "2s",
    as_json: Annotated[bool, typer.Option("--json", help="Log JSON lines on stdout.")] = False,
) -> None:
    """Watch a drop folder: ingest new files, run the due checks, send notifications;
    one log line per step; SIGTERM or Ctrl-C ends it after the step under way."""
    env = env_of(ctx)
    settings = env.settings()
    every_td = _duration(every, "--every")
    settle_td = _duration(settle, "--settle")
    if folder is not None and not folder.is_dir():
        raise UsageError(f"{folder}: no such folder", field="folder")
    targets_of(settings)  # a route without its secret is told now, not at the first alert

    def log(step: Step) -> None:
        # One line per step, flushed: a journal or a pipe sees it as it happens.
        if as_json:
            emit_json_line(step.to_json())
            return
        sys.stderr.write(f"{step.at:%Y-%m-%d %H:%M:%S} {step.step}: {visible(step.message)}\n")
        sys.stderr.flush()

    loop = Watch(
        env.writer(),
        settings,
        folder,
        every=every_td,
        settle=settle_td,
        data_clock=env.clock(),
        clock=RealClock(),
        actor=env.actor,
        log=log,
    )

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        loop.stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    loop.run()
