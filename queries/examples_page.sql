-- name: examples_page
-- The rows behind a number, one page at a time, by key after the last one seen: in
-- time order (ts, prediction_id), or, for an alert's evidence ranked (the surest wrong
-- predictions first), by (rank descending, ts, prediction_id); features, prediction,
-- score, label and delay. The focus keeps only the rows that are an alert's evidence.
-- params: model, since, until, now, after_ts, after_id, after_rank, wrong, unlabeled, regression, min_error, limit, values, focus_num, focus_text, focus_known
-- fragments: table, columns, filters, focus, rank, after, order
-- returns: prediction_id, ts, model_version, slice and feature columns, prediction, score, label, labeled_at, delay_hours, correct, rank
SELECT p.prediction_id, p.ts, p.model_version, {{columns}} p.prediction, p.score,
       l.label, l.labeled_at,
       epoch(l.labeled_at - p.ts) / 3600 AS delay_hours,
       CASE WHEN l.prediction_id IS NULL THEN NULL
            WHEN $regression THEN abs(p.prediction_value - l.label_value) <= $min_error
            ELSE p.prediction = l.label END AS correct,
       {{rank}} AS rank
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until
  AND {{after}}
  AND (NOT $unlabeled OR l.prediction_id IS NULL)
  AND (NOT $wrong OR (l.prediction_id IS NOT NULL AND CASE
        WHEN $regression THEN abs(p.prediction_value - l.label_value) > $min_error
        ELSE p.prediction <> l.label END))
  AND {{filters}}
  AND {{focus}}
ORDER BY {{order}}
LIMIT $limit
