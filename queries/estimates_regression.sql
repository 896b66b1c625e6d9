-- name: estimates_regression
-- A regression model's rows in the request with their window, slice value, model
-- version, prediction, features and (known by `now`) label: direct loss estimation
-- predicts each row's error from its features, so it reads rows, not groups. Labels
-- are read only within the window of prediction times.
-- params: model, since, until, now, version, step, origin, values
-- fragments: table, columns, filters
-- returns: w, model_version, prediction_value, label_value, and the asked-for columns
SELECT time_bucket(to_seconds($step), p.ts, $origin) AS w, p.model_version,
       p.prediction_value, l.label_value {{columns}}
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until
  AND ($version IS NULL OR p.model_version = $version)
  AND {{filters}}
