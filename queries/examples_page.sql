-- name: examples_page
-- The rows behind a number, one page at a time, by key (ts, prediction_id) after the
-- last one seen: features, prediction, score, label and delay.
-- params: model, since, until, now, after_ts, after_id, wrong, unlabeled, regression, min_error, limit, values
-- fragments: table, columns, filters
-- returns: prediction_id, ts, model_version, slice and feature columns, prediction, score, label, labeled_at, delay_hours, correct
SELECT p.prediction_id, p.ts, p.model_version, {{columns}} p.prediction, p.score,
       l.label, l.labeled_at,
       epoch(l.labeled_at - p.ts) / 3600 AS delay_hours,
       CASE WHEN l.prediction_id IS NULL THEN NULL
            WHEN $regression THEN abs(p.prediction_value - l.label_value) <= $min_error
            ELSE p.prediction = l.label END AS correct
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
WHERE p.ts >= $since AND p.ts < $until
  AND ($after_ts IS NULL OR p.ts > $after_ts OR (p.ts = $after_ts AND p.prediction_id > $after_id))
  AND (NOT $unlabeled OR l.prediction_id IS NULL)
  AND (NOT $wrong OR (l.prediction_id IS NOT NULL AND CASE
        WHEN $regression THEN abs(p.prediction_value - l.label_value) > $min_error
        ELSE p.prediction <> l.label END))
  AND {{filters}}
ORDER BY p.ts, p.prediction_id
LIMIT $limit
