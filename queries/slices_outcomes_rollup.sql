-- name: slices_outcomes_rollup
-- The same outcome counts as slices_outcomes_raw, summed from daily rollups.
-- params: since, until, version, values
-- fragments: rollups, group_select, grouping_sets, filters, bin_select
-- returns: group columns with g__ flags, prediction, label, score_bin, n, sum_score, abs_err, sq_err, err, quad_err
SELECT {{group_select}} p.prediction, p.label, {{bin_select}} AS score_bin,
       sum(p.n)::BIGINT AS n, sum(p.sum_score) AS sum_score, sum(p.abs_err) AS abs_err,
       sum(p.sq_err) AS sq_err, sum(p.err) AS err, sum(p.quad_err) AS quad_err
FROM {{rollups}} p
WHERE p.day >= $since AND p.day < $until
  AND ($version IS NULL OR p.model_version = $version)
  AND {{filters}}
GROUP BY GROUPING SETS ({{grouping_sets}})
