"""Which alert kinds the tuning room treats alike: performance alerts (never tuned,
never held), realised drops (what lead indicators lead), and early kinds (seen before
labels come). A module of its own with no heavy imports: `alerts list` asks the
surfacing policy, and must not load the checks to do it."""

from __future__ import annotations

from tui.core.checks.families import BEFORE_LABELS

# Alerts on the model's realised (or estimated) performance: never tuned, never held.
PERFORMANCE_KINDS = frozenset({"slo", "estimated_slo"})
# What "a performance drop" is for lead indicators: an SLO breach or the gap to offline.
REALISED_DROP_KINDS = frozenset({"slo", "offline_gap"})
# Alert kinds that can be seen before labels come (lead indicator candidates): the
# drift and data-quality families.
EARLY_KINDS = frozenset(BEFORE_LABELS)
