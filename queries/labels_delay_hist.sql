-- name: labels_delay_hist
-- Label delays from raw rows as the same histogram the daily delay rollups keep: per
-- prediction day (and optional slice value), rows per delay horizon and log-spaced
-- delay bucket (both NULL without a label known by `now`), and among the unlabelled
-- rows those at or before `cutoff` (older than the expected delay: overdue). Labels are
-- read only within the window of prediction times.
-- params: model, since, until, now, cutoff
-- fragments: table, group_select, horizon, bucket
-- returns: day, grp, horizon, bucket, n, overdue
SELECT date_trunc('day', p.ts) AS day, {{group_select}}
       {{horizon}} AS horizon, {{bucket}} AS bucket,
       count(*) AS n,
       count(*) FILTER (WHERE l.prediction_id IS NULL AND p.ts <= $cutoff) AS overdue
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until
GROUP BY ALL
