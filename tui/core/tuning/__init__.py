"""Tuning: thresholds back-tested on the team's own record (`backtest`, `suggest`),
written into the config with its comments kept (`writing`), the alert types that lead
realised performance drops (`lead`), and the surfacing policy that holds low-record
types in a digest (`surfacing`, whose `held()` is the predicate a notifier asks)."""
