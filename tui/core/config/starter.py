"""The commented starter ``oncall.yaml`` that ``oncall init`` writes."""

from __future__ import annotations

from pathlib import Path

from tui.core.errors import UsageError

STARTER = """\
# oncall.yaml — what oncall watches and how. Unknown keys are errors.
store: oncall.duckdb            # the store file, relative to this file
timezone: UTC                   # timestamps are stored and shown in UTC

models:
  fraud:                        # a model name: letters, digits, _ . -
    task: binary                # binary | multiclass | regression
    positive: "1"               # the positive class (binary)
    threshold: 0.5              # score >= threshold predicts positive
    slices: [region, customer_tier]   # string columns to slice metrics by
    features:                   # model inputs worth monitoring
      amount:  {type: numeric, min: 0, max: 50000, max_null: 0.01}
      country: {type: categorical, allowed: [US, CA, MX], max_null: 0}
    baseline: {start: 2026-10-01, end: 2026-10-07}   # what drift compares to
    offline: {f1: 0.86}         # validation metrics at training time
    labels: {expected_delay: 3d}  # labels usually arrive within this delay
    slos:
      - {metric: f1, min: 0.80, window: 1d, min_labeled: 200}
      - {metric: recall, min: 0.70, window: 1d, by: region}

checks:
  window: 1h                    # default evaluation window
  volume:    {min_ratio: 0.5, max_ratio: 2.0}
  freshness: {max_lag: 2h}
  drift:     {metric: psi, warn: 0.1, crit: 0.25}

alerting:
  resolve_after: 3              # passing windows before an alert resolves itself

team:
  - {name: alice, role: veteran}    # veteran | engineer | trainee
  - {name: bob, role: trainee}
"""


def write_starter(folder: Path, force: bool = False) -> Path:
    """Write ``folder/oncall.yaml``; refuse to overwrite an existing one unless forced."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "oncall.yaml"
    if target.exists() and not force:
        # The words for asking to overwrite belong to the face that asked (a flag on
        # the command line), so the core only says what is in the way.
        raise UsageError(f"{target} exists", field="force")
    target.write_text(STARTER, encoding="utf-8")
    return target
