-- name: summary_models
-- Per model: predictions, labelled predictions, time range and versions. A label whose
-- prediction is stored carries that prediction's ts (pred_ts; NULL until it arrives,
-- see migration 011), so the labelled predictions are counted from the labels alone
-- instead of hashing every label against every prediction.
-- params: (none)
-- returns: model, predictions, labeled, first_ts, last_ts, versions
WITH preds AS (
    SELECT p.model,
           count(*) AS predictions,
           min(p.ts) AS first_ts,
           max(p.ts) AS last_ts,
           string_agg(DISTINCT p.model_version, ', ' ORDER BY p.model_version) AS versions
    FROM predictions p
    GROUP BY p.model
), labelled AS (
    SELECT model, count(*) AS labeled FROM labels WHERE pred_ts IS NOT NULL GROUP BY model
)
SELECT p.model, p.predictions, coalesce(l.labeled, 0) AS labeled,
       p.first_ts, p.last_ts, p.versions
FROM preds p
LEFT JOIN labelled l ON l.model = p.model
ORDER BY p.model
