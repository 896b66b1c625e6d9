-- name: bug_export_ids
-- Linked predictions by id with features, prediction, score and the current label. The
-- predictions are taken first; their labels are read only within the span of their
-- times (joined on the prediction's time as well as its id: a label carries its
-- prediction's ts, so the scan of labels skips the row groups outside that span).
-- params: model, ids
-- fragments: table, columns
-- returns: prediction_id, ts, model_version, slice and feature columns, prediction, score, label, labeled_at
WITH picked AS (
    SELECT * FROM {{table}} p WHERE p.prediction_id IN (SELECT unnest($ids))
)
SELECT p.prediction_id, p.ts, p.model_version, {{columns}} p.prediction, p.score,
       l.label, l.labeled_at
FROM picked p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.pred_ts = p.ts
      AND l.pred_ts >= (SELECT min(ts) FROM picked) AND l.pred_ts <= (SELECT max(ts) FROM picked)
ORDER BY p.ts, p.prediction_id
