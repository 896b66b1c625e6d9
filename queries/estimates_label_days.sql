-- name: estimates_label_days
-- Rows and rows labelled by `now` per day before `until`: where the latest fully
-- labelled days are. Labels are read only for prediction times before `until`.
-- params: model, until, now
-- fragments: table
-- returns: day, n, labeled
SELECT date_trunc('day', p.ts) AS day, count(*) AS n, count(l.prediction_id) AS labeled
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts < $until
WHERE p.ts < $until
GROUP BY day
ORDER BY day
