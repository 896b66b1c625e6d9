-- name: slices_label_horizon
-- The latest label time and the time range of a model's predictions.
-- params: model
-- fragments: table
-- returns: last_labeled_at, first_ts, last_ts
SELECT (SELECT max(labeled_at) FROM labels WHERE model = $model) AS last_labeled_at,
       min(ts) AS first_ts, max(ts) AS last_ts
FROM {{table}}
