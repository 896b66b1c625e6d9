"""`oncall watch` on a drop folder fed by a script, against a loopback receiver.

The watch runs as its own process, as under systemd; the test is the pipeline that
drops files (slowly, as a writer that takes its time) and the receiver that pages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from tests.receiver import receiving
from tests.test_notify import BASE, CONFIG, SECRET, SLACK_PATH, frame

EVERY = 15.0  # seconds between checks: an alert must be sent within one of them


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _write_slowly(path: Path, text: str, pieces: int, pause: float) -> None:
    """Write a file the way a slow writer does: a piece at a time, never still for
    as long as the watch's settle time."""
    step = len(text) // pieces + 1
    with path.open("w", encoding="utf-8") as out:
        for i in range(0, len(text), step):
            out.write(text[i : i + step])
            out.flush()
            os.fsync(out.fileno())
            time.sleep(pause)


def test_watch_ingests_once_waits_for_partial_files_sends_in_time_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    with receiving() as rx:
        (tmp_path / "oncall.yaml").write_text(
            CONFIG.format(url=rx.url, group_wait="1s", group_interval="1s", repeat_interval="4h"),
            encoding="utf-8",
        )
        drop = tmp_path / "drop"
        inbox = drop / "churn" / "predictions"
        inbox.mkdir(parents=True)
        (drop / "fraud" / "predictions").mkdir(parents=True)  # no such model: said once
        env = {
            **os.environ,
            "NO_COLOR": "1",
            "ONCALL_NOW": (BASE + timedelta(hours=3)).isoformat(),
            "ONCALL_USER": "alice",
            "PD_ROUTING_KEY": SECRET,
            "SLACK_URL": rx.url + SLACK_PATH,
        }
        oncall = str(Path(sys.executable).parent / "oncall")
        args = [oncall, "watch", str(drop), "--every", f"{int(EVERY)}s", "--settle", "1s"]
        # Every line is read as it comes by one reader (reading the first line here and
        # the rest with communicate() lost what the first read had buffered with it).
        err_path = tmp_path / "stderr.txt"
        with err_path.open("w", encoding="utf-8") as err_file:
            proc = subprocess.Popen(
                [*args, "--json"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=err_file,
                text=True,
            )
        out_lines: list[str] = []

        def read_out() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                out_lines.append(line)

        reader = threading.Thread(target=read_out, daemon=True)
        reader.start()
        try:
            # Started: it has logged its first line (stdout is line-buffered JSON).
            assert _wait_for(lambda: len(out_lines) >= 1, 60), "watch never started"
            first = json.loads(out_lines[0])
            assert first["step"] == "start"
            text = frame(0, 3, bad=True).write_csv()
            # A partial file: written over ~2.5 s in pieces 0.25 s apart (settle is 1 s).
            _write_slowly(inbox / "batch1.csv", text, pieces=10, pause=0.25)
            written = time.monotonic()
            # The same content again under another name, dropped the atomic way: written
            # under an ignored name, then renamed.
            (inbox / "_copy.csv.tmp").write_text(text, encoding="utf-8")
            (inbox / "_copy.csv.tmp").rename(inbox / "copy.csv")
            paged = _wait_for(lambda: len(rx.accepted("/pd")) >= 2, EVERY + 20)
            latency = time.monotonic() - written
            assert paged, "no page arrived"
            # Sent within one --every of the data (the ingest itself starts the checks).
            assert latency < EVERY, latency
            # More bad rows arrive, and the watch is stopped while it may be at them.
            late = frame(0, 3, bad=True).with_columns(
                ("late_" + frame(0, 3, bad=True)["prediction_id"]).alias("prediction_id")
            )
            late.write_csv(inbox / "late.csv")
            time.sleep(1.3)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            reader.join(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        err = err_path.read_text(encoding="utf-8")
        assert proc.returncode == 0, err
        lines = [json.loads(line) for line in out_lines]
        steps = [line["step"] for line in lines]
        assert steps[-1] == "stop" and lines[-1]["pending"] == 0
        ingests = [line for line in lines if line["step"] == "ingest"]
        batch1 = [line for line in ingests if line["file"] == "churn/predictions/batch1.csv"]
        # Read once, whole: never while it was still being written.
        assert len(batch1) == 1 and batch1[0]["rows"] == 180, batch1
        copies = [line for line in ingests if line["file"] == "churn/predictions/copy.csv"]
        assert len(copies) == 1 and "already ingested" in copies[0]["message"]
        skips = [line["message"] for line in lines if line["step"] == "skip"]
        assert skips == ["fraud/: no model of that name is declared"], lines
        db = tmp_path / "store.duckdb"
        rows = _rows(db, "SELECT count(*) FROM predictions")[0][0]
        late_done = any(line["file"] == "churn/predictions/late.csv" for line in ingests)
        assert rows == (360 if late_done else 180)  # a file is in whole or not at all
        # Nothing committed is left unsent, nothing sent twice.
        states = dict(_rows(db, "SELECT state, count(*) FROM notifications GROUP BY state"))
        assert set(states) == {"sent"}, states
        triggers = [b["dedup_key"] for b in rx.accepted("/pd") if b["event_action"] == "trigger"]
        assert len(triggers) == len(set(triggers)) == 2
