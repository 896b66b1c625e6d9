-- name: predictions_changed_count
-- How many staged predictions differ from the stored ones (see predictions_mark_changed),
-- and the span of their stored times.
-- params: (none)
-- returns: n, lo, hi
SELECT count(*) AS n, min(old_ts) AS lo, max(old_ts) AS hi FROM changed
