-- name: examples_page_first
-- The same page as examples_page when no condition reads the labels (no wrong or
-- unlabelled rows asked for, a focus on the predictions' own columns, time order): the
-- page of predictions is taken first, then only its labels are joined (matched on id
-- and on the prediction's time each label carries, so the labels scan keeps only the
-- row groups of the page's times).
-- params: model, now, since, until, after_ts, after_id, regression, min_error, limit, values, focus_num, focus_text, focus_known
-- fragments: table, columns, filters, focus, after
-- returns: prediction_id, ts, model_version, slice and feature columns, prediction, score, label, labeled_at, delay_hours, correct, rank
WITH page AS (
    SELECT * FROM {{table}} p
    WHERE p.ts >= $since AND p.ts < $until
      AND {{after}}
      AND {{filters}}
      AND {{focus}}
    ORDER BY p.ts, p.prediction_id
    LIMIT $limit
)
SELECT p.prediction_id, p.ts, p.model_version, {{columns}} p.prediction, p.score,
       l.label, l.labeled_at,
       epoch(l.labeled_at - p.ts) / 3600 AS delay_hours,
       CASE WHEN l.prediction_id IS NULL THEN NULL
            WHEN $regression THEN abs(p.prediction_value - l.label_value) <= $min_error
            ELSE p.prediction = l.label END AS correct,
       NULL::DOUBLE AS rank
FROM page p
LEFT JOIN (
    SELECT * FROM labels
    WHERE model = $model AND labeled_at <= $now
      AND pred_ts >= (SELECT min(ts) FROM page) AND pred_ts <= (SELECT max(ts) FROM page)
) l ON l.prediction_id = p.prediction_id AND l.pred_ts = p.ts
ORDER BY p.ts, p.prediction_id
