-- name: baseline_reference_outcomes
-- The labelled rows of a staged reference dataset grouped by (prediction, label), with
-- the error and label sums regression metrics need (as checks_outcomes gives them).
-- params: (none)
-- returns: prediction, label, n, abs_err, sq_err, err, quad_err, label_sum, label_sq_sum, ape_sum, ape_sq_sum, ape_n
SELECT prediction, label, count(*) AS n,
       sum(abs(prediction_value - label_value)) AS abs_err,
       sum((prediction_value - label_value) ^ 2) AS sq_err,
       sum(prediction_value - label_value) AS err,
       sum((prediction_value - label_value) ^ 4) AS quad_err,
       sum(label_value) FILTER (WHERE prediction_value IS NOT NULL) AS label_sum,
       sum(label_value ^ 2) FILTER (WHERE prediction_value IS NOT NULL) AS label_sq_sum,
       sum(abs(prediction_value - label_value) / abs(label_value))
           FILTER (WHERE label_value <> 0) AS ape_sum,
       sum((abs(prediction_value - label_value) / abs(label_value)) ^ 2)
           FILTER (WHERE label_value <> 0) AS ape_sq_sum,
       count(*) FILTER (WHERE label_value <> 0 AND prediction_value IS NOT NULL) AS ape_n
FROM stage
WHERE label IS NOT NULL
GROUP BY prediction, label
