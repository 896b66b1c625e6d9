-- name: bug_export_slice
-- All predictions of a linked slice filter and window, with their current labels (read
-- only within the window of prediction times).
-- params: model, since, until, values
-- fragments: table, columns, filters
-- returns: prediction_id, ts, model_version, slice and feature columns, prediction, score, label, labeled_at
SELECT p.prediction_id, p.ts, p.model_version, {{columns}} p.prediction, p.score,
       l.label, l.labeled_at
FROM {{table}} p
LEFT JOIN labels l ON l.model = $model AND l.prediction_id = p.prediction_id
      AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until AND {{filters}}
ORDER BY p.ts, p.prediction_id
