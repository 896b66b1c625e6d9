"""The families of check kinds, named once.

No imports: the light modules that group alerts by kind (the tuning room's, which
`alerts list` loads) use it without loading the checks themselves.
"""

from __future__ import annotations

# The drift and data-quality families: judged on the predictions alone, so they can
# fire before any label arrives (the lead-indicator candidates), and their failing
# windows are kept out of a rolling baseline.
BEFORE_LABELS = (
    "schema",
    "completeness",
    "bounds",
    "allowed_values",
    "distinct",
    "volume",
    "freshness",
    "drift",
    "score_drift",
)
