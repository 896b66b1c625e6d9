-- name: checks_row_stats
-- Data-quality counts per window, overall and per value of each slice column: rows,
-- the last prediction time, and per feature its nulls, out-of-bounds and disallowed
-- values with an example of each. `stats` holds one group of aggregates per feature.
-- params: start, end, step, lo, hi, allowed
-- fragments: table, slice_keys, grouping_sets, stats
-- returns: w, slice columns with g__ flags, n, last_ts, per-feature stats
SELECT time_bucket(to_seconds($step), ts) AS w, {{slice_keys}}
       count(*) AS n, max(ts) AS last_ts, {{stats}}
FROM {{table}}
WHERE ts >= $start AND ts < $end
GROUP BY GROUPING SETS ({{grouping_sets}})
