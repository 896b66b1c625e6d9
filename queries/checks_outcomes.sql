-- name: checks_outcomes
-- Labelled outcomes per window, overall and per value of each slice column: counts of
-- (prediction, label) pairs for classifiers, error and label sums for regression (MAE,
-- RMSE and its interval, bias, R², and MAPE over the rows whose label is not zero),
-- and all rows. Labels count only if known by `now`.
-- params: model, start, end, step, now
-- fragments: table, slice_keys, grouping_sets
-- returns: w, slice columns with g__ flags, prediction, label, n, labeled, abs_err, sq_err, err, quad_err, label_sum, label_sq_sum, ape_sum, ape_sq_sum, ape_n
SELECT time_bucket(to_seconds($step), p.ts) AS w, {{slice_keys}}
       p.prediction, l.label,
       count(*) AS n,
       count(l.prediction_id) AS labeled,
       sum(abs(p.prediction_value - l.label_value)) AS abs_err,
       sum((p.prediction_value - l.label_value) ^ 2) AS sq_err,
       sum(p.prediction_value - l.label_value) AS err,
       sum((p.prediction_value - l.label_value) ^ 4) AS quad_err,
       sum(l.label_value) FILTER (WHERE p.prediction_value IS NOT NULL) AS label_sum,
       sum(l.label_value ^ 2) FILTER (WHERE p.prediction_value IS NOT NULL) AS label_sq_sum,
       sum(abs(p.prediction_value - l.label_value) / abs(l.label_value))
           FILTER (WHERE l.label_value <> 0) AS ape_sum,
       sum((abs(p.prediction_value - l.label_value) / abs(l.label_value)) ^ 2)
           FILTER (WHERE l.label_value <> 0) AS ape_sq_sum,
       count(*) FILTER (WHERE l.label_value <> 0 AND p.prediction_value IS NOT NULL) AS ape_n
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $start AND l.pred_ts < $end
WHERE p.ts >= $start AND p.ts < $end
GROUP BY GROUPING SETS ({{grouping_sets}})
