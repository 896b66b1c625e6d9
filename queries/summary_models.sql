-- name: summary_models
-- Per model: predictions, labelled predictions, time range and versions.
-- params: (none)
-- returns: model, predictions, labeled, first_ts, last_ts, versions
SELECT p.model,
       count(*) AS predictions,
       count(l.prediction_id) AS labeled,
       min(p.ts) AS first_ts,
       max(p.ts) AS last_ts,
       string_agg(DISTINCT p.model_version, ', ' ORDER BY p.model_version) AS versions
FROM predictions p
LEFT JOIN labels l ON l.model = p.model AND l.prediction_id = p.prediction_id
GROUP BY p.model
ORDER BY p.model
