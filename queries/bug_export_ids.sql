-- name: bug_export_ids
-- Linked predictions by id with features, prediction, score and the current label.
-- params: model, ids
-- fragments: table, columns
-- returns: prediction_id, ts, model_version, slice and feature columns, prediction, score, label, labeled_at
SELECT p.prediction_id, p.ts, p.model_version, {{columns}} p.prediction, p.score,
       l.label, l.labeled_at
FROM {{table}} p
LEFT JOIN labels l ON l.model = $model AND l.prediction_id = p.prediction_id
WHERE p.prediction_id IN (SELECT unnest($ids))
ORDER BY p.ts, p.prediction_id
