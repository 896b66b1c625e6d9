-- name: labels_overdue_raw
-- Overdue rows of the hour that holds `cutoff`, from raw rows: predictions in
-- [since, cutoff] without a label known by `now` (the rollups count whole hours only).
-- params: model, since, cutoff, now
-- fragments: table, group_select
-- returns: day, grp, horizon, bucket, n, overdue
SELECT date_trunc('day', p.ts) AS day, {{group_select}}
       NULL::INTEGER AS horizon, NULL::INTEGER AS bucket, 0 AS n, count(*) AS overdue
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since AND l.pred_ts <= $cutoff
WHERE p.ts >= $since AND p.ts <= $cutoff AND l.prediction_id IS NULL
GROUP BY ALL
