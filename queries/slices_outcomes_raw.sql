-- name: slices_outcomes_raw
-- Outcome counts per group from raw rows: predictions, labels known by `now`, score
-- bins and error sums, for every grouping set asked for. Filters are built from
-- declared columns with bound values.
-- params: model, since, until, now, version, regression, values
-- fragments: table, group_select, grouping_sets, filters, bin_select
-- returns: group columns with g__ flags, prediction, label, score_bin, n, sum_score, abs_err, sq_err, err, quad_err
SELECT {{group_select}}
       o_prediction AS prediction, o_label AS label, {{bin_select}} AS score_bin,
       count(*) AS n, sum(score) AS sum_score, sum(abs(e)) AS abs_err, sum(e ^ 2) AS sq_err,
       sum(e) AS err, sum(e ^ 4) AS quad_err
FROM (
    SELECT p.*,
           CASE WHEN $regression THEN NULL ELSE p.prediction END AS o_prediction,
           CASE WHEN $regression
                THEN (CASE WHEN l.prediction_id IS NULL THEN NULL ELSE '*' END)
                ELSE l.label END AS o_label,
           least(floor(p.score * 20), 19)::INTEGER AS o_bin,
           p.prediction_value - l.label_value AS e
    FROM {{table}} p
    LEFT JOIN labels l
           ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
          AND l.pred_ts >= $since AND l.pred_ts < $until
    WHERE p.ts >= $since AND p.ts < $until
      AND ($version IS NULL OR p.model_version = $version)
      AND {{filters}}
) p
GROUP BY GROUPING SETS ({{grouping_sets}})
