"""A hash chain over the append-only histories, so rewriting one shows.

The seal tables make UPDATE and DELETE of an event fail, but a seal row itself can be
deleted first. Every write transaction therefore links the events added since the
last link into `event_chain`: hash = sha256(previous hash + the event's content).
:func:`verify` recomputes the chain and names every event deleted or changed since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from tui.core.store.sql import execute, fetch_rows

# The append-only tables and the query giving their events after an id, in order.
CHAINED = {"alert_events": "chain_alert_events", "bug_events": "chain_bug_events"}


def link_hash(previous: str, table: str, event: dict[str, Any]) -> str:
    """The hash of one event, chained to the one before it."""
    content = json.dumps([table, *(str(v) for v in event.values())], ensure_ascii=True)
    return hashlib.sha256((previous + "\n" + content).encode()).hexdigest()


def extend(con: duckdb.DuckDBPyConnection) -> int:
    """Link every event added since the last link (inside the write's transaction);
    returns how many were linked."""
    added = 0
    for table, query in CHAINED.items():
        head = fetch_rows(con, "chain_head", {"table_name": table})
        last_id, previous = (int(head[0]["event_id"]), str(head[0]["hash"])) if head else (0, "")
        ids: list[int] = []
        hashes: list[str] = []
        for event in fetch_rows(con, query, {"after": last_id}):
            previous = link_hash(previous, table, event)
            ids.append(int(event["event_id"]))
            hashes.append(previous)
        if ids:
            # One statement for the lot: an upgraded store links its whole history once.
            execute(con, "chain_insert", {"table_name": table, "event_ids": ids, "hashes": hashes})
        added += len(ids)
    return added


@dataclass(frozen=True)
class Break:
    """One place where a history no longer matches its chain."""

    table: str
    event_id: int
    what: str  # deleted | changed | inserted

    def text(self) -> str:
        verb = {
            "deleted": "was deleted",
            "changed": "was changed",
            "inserted": "was added out of order",
        }[self.what]
        return f"{self.table}: event {self.event_id} {verb} after it was recorded"

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "event_id": self.event_id, "what": self.what}


def verify(con: duckdb.DuckDBPyConnection) -> tuple[list[Break], int]:
    """Every break in the chains, and how many events were checked."""
    breaks: list[Break] = []
    checked = 0
    for table, query in CHAINED.items():
        events = {int(e["event_id"]): e for e in fetch_rows(con, query, {"after": 0})}
        previous = ""
        last = 0
        chained: set[int] = set()
        for link in fetch_rows(con, "chain_links", {"table_name": table}):
            event_id = int(link["event_id"])
            chained.add(event_id)
            last = event_id
            event = events.get(event_id)
            if event is None:
                breaks.append(Break(table, event_id, "deleted"))
            elif link_hash(previous, table, event) != link["hash"]:
                breaks.append(Break(table, event_id, "changed"))
            else:
                checked += 1
            previous = str(link["hash"])
        breaks += [
            Break(table, event_id, "inserted")
            for event_id in sorted(events)
            if event_id < last and event_id not in chained
        ]
    return breaks, checked
