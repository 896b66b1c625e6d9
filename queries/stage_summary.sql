-- name: stage_summary
-- Row count and time range of the staged file.
-- params: (none)
-- returns: n, min_ts, max_ts
SELECT count(*) AS n, min(ts) AS min_ts, max(ts) AS max_ts FROM stage
