"""A scenario's history in the store: its incidents, past shifts and veterans' decisions."""

from __future__ import annotations

from tui.core.scenario import EXPECTED_KIND
from tui.core.simulator import World
from tui.core.store import Store, execute, fetch_rows


def load_history(store: Store, world: World) -> None:
    """Write the world's incidents, shifts and decisions in one transaction."""
    incidents = {inc.id: inc for inc in world.spec.incidents}
    with store.write() as con:
        for row in world.incidents():
            execute(con, "history_incident_insert", row)
        for shift in world.spec.shifts:
            common = {
                "started_at": world.at(shift.start),
                "ended_at": world.at(shift.end),
                "source": "scenario",
            }
            primary_id = int(
                fetch_rows(
                    con,
                    "history_shift_insert",
                    {
                        "engineer": shift.primary,
                        "role": "primary",
                        "primary_of": None,
                        **common,
                    },
                )[0]["shift_id"]
            )
            for shadow in shift.shadows:
                execute(
                    con,
                    "history_shift_insert",
                    {
                        "engineer": shadow,
                        "role": "shadow",
                        "primary_of": primary_id,
                        **common,
                    },
                )
            for decision in shift.decisions:
                inc = incidents[decision.incident]
                execute(
                    con,
                    "history_decision_insert",
                    {
                        "shift_id": primary_id,
                        "incident_id": inc.id,
                        "model": inc.model,
                        "kind": EXPECTED_KIND[inc.type],
                        "action": decision.action,
                        "root_cause": inc.root_cause if decision.action == "bug" else None,
                        "note": decision.note,
                        "delay_minutes": decision.after_minutes,
                    },
                )
