-- name: checks_time_range
-- The first and last prediction of a model.
-- params: (none)
-- fragments: table
-- returns: first_ts, last_ts
SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM {{table}}
