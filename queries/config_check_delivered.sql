-- name: config_check_delivered
-- How many stored predictions a model has, and per declared column how many hold a
-- value (a column with none was declared but never delivered).
-- params: (none)
-- fragments: table, counts
-- returns: n, first_ts, last_ts, one nn__<column> count per declared column
SELECT count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts, {{counts}}
FROM {{table}}
