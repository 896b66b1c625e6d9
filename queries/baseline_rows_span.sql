-- name: baseline_rows_span
-- Rows, labelled rows and the time range of a staged baseline table.
-- params: (none)
-- fragments: table
-- returns: n, labeled, first_ts, last_ts
SELECT count(*) AS n, count(label) AS labeled, min(ts) AS first_ts, max(ts) AS last_ts
FROM {{table}}
