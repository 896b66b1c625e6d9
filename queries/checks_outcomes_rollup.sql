-- name: checks_outcomes_rollup
-- The labelled outcomes of checks_outcomes for whole days [start, end), summed from the
-- daily rollups (a few thousand rows a day, whatever the day's traffic). Rollups hold
-- every stored label, so the caller uses them only for days that wait for no rebuild
-- and whose labels were all known by now; classifiers only (rollups keep no label sums).
-- params: start, end
-- fragments: rollups, slice_keys, grouping_sets
-- returns: w, slice columns with g__ flags, prediction, label, n, labeled, and the regression
-- sums of checks_outcomes as NULL
SELECT day AS w, {{slice_keys}} prediction, label,
       sum(n)::BIGINT AS n,
       coalesce(sum(n) FILTER (WHERE label IS NOT NULL), 0)::BIGINT AS labeled,
       NULL::DOUBLE AS abs_err, NULL::DOUBLE AS sq_err, NULL::DOUBLE AS err,
       NULL::DOUBLE AS quad_err, NULL::DOUBLE AS label_sum, NULL::DOUBLE AS label_sq_sum,
       NULL::DOUBLE AS ape_sum, NULL::DOUBLE AS ape_sq_sum, NULL::BIGINT AS ape_n
FROM {{rollups}}
WHERE day >= $start AND day < $end
GROUP BY GROUPING SETS ({{grouping_sets}})
