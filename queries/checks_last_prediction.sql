-- name: checks_last_prediction
-- The last prediction at or before a moment (for freshness at a window's end).
-- params: before
-- fragments: table
-- returns: last_ts
SELECT max(ts) AS last_ts FROM {{table}} WHERE ts < $before
