-- name: checks_label_delay
-- Per prediction window, overall and per value of each slice column: rows, rows
-- labelled within the expected delay (as known now), and delay percentiles in hours
-- among labelled rows.
-- params: model, start, end, step, delay, now
-- fragments: table, slice_keys, grouping_sets
-- returns: w, slice columns with g__ flags, n, labeled, on_time, p50_hours, p90_hours, p99_hours
SELECT time_bucket(to_seconds($step), p.ts) AS w, {{slice_keys}}
       count(*) AS n,
       count(l.prediction_id) AS labeled,
       count(*) FILTER (WHERE l.labeled_at - p.ts <= to_seconds($delay)) AS on_time,
       approx_quantile(epoch(l.labeled_at - p.ts) / 3600, 0.5) AS p50_hours,
       approx_quantile(epoch(l.labeled_at - p.ts) / 3600, 0.9) AS p90_hours,
       approx_quantile(epoch(l.labeled_at - p.ts) / 3600, 0.99) AS p99_hours
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $start AND l.pred_ts < $end
WHERE p.ts >= $start AND p.ts < $end
GROUP BY GROUPING SETS ({{grouping_sets}})
