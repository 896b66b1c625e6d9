-- name: config_check_traffic
-- Rows, rows labelled by `now` and each feature's values (not null: what its drift
-- counts) per window of `step` seconds since `since`, overall and per value of each
-- slice column: the traffic the config's supports must fit. Labels are read only for
-- prediction times since `since`.
-- params: model, since, now, step
-- fragments: table, slice_keys, grouping_sets, value_counts
-- returns: w, slice columns with g__ flags, n, labeled, nn__<feature> per feature
SELECT time_bucket(to_seconds($step), p.ts) AS w, {{slice_keys}}
       count(*) AS n, count(l.prediction_id) AS labeled {{value_counts}}
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since
WHERE p.ts >= $since
GROUP BY GROUPING SETS ({{grouping_sets}})
