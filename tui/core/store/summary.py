"""A short account of what is in the store."""

from __future__ import annotations

from typing import Any

from tui.core.store.connection import Store, fetch_rows


def store_summary(store: Store) -> dict[str, Any]:
    """Per-model prediction and label counts plus totals, for `oncall demo --no-ui`."""
    with store.read() as con:
        models = fetch_rows(con, "summary_models")
        counts = fetch_rows(con, "summary_counts")[0]
    return {"store": str(store.path), "models": models, **counts}
