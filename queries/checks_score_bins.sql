-- name: checks_score_bins
-- Rows per window and score bin, overall and per value of each slice column.
-- params: start, end, step, edges
-- fragments: table, score_bin, slice_keys, grouping_sets
-- returns: w, slice columns with their g__ grouping flags, bin, n
SELECT time_bucket(to_seconds($step), ts) AS w, {{slice_keys}} {{score_bin}} AS bin,
       count(*) AS n
FROM {{table}}
WHERE ts >= $start AND ts < $end AND score IS NOT NULL
GROUP BY GROUPING SETS ({{grouping_sets}})
