-- name: labels_delay_days
-- In one scan, per prediction day (and optional slice value) and over the whole window:
-- predictions, how many were labelled within 1, 3, 7 and 14 days and by now, delay
-- percentiles in hours (t-digest approximations: constant memory at any size), and
-- rows older than the expected delay still unlabelled.
-- Labels count only if known by now. `is_total` marks the rows over the whole window.
-- params: model, since, until, now, expected
-- fragments: table, group_select, grouping_sets
-- returns: day, grp, is_total, n, within_1d, within_3d, within_7d, within_14d, labeled, p50_hours, p90_hours, p99_hours, overdue
SELECT date_trunc('day', p.ts) AS day, {{group_select}}
       grouping(date_trunc('day', p.ts)) = 1 AS is_total,
       count(*) AS n,
       count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 1 day) AS within_1d,
       count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 3 day) AS within_3d,
       count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 7 day) AS within_7d,
       count(*) FILTER (WHERE l.labeled_at - p.ts <= INTERVAL 14 day) AS within_14d,
       count(l.prediction_id) AS labeled,
       approx_quantile(epoch(l.labeled_at - p.ts) / 3600, 0.5) AS p50_hours,
       approx_quantile(epoch(l.labeled_at - p.ts) / 3600, 0.9) AS p90_hours,
       approx_quantile(epoch(l.labeled_at - p.ts) / 3600, 0.99) AS p99_hours,
       count(*) FILTER (WHERE l.prediction_id IS NULL
                        AND p.ts <= $now - to_seconds($expected)) AS overdue
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
WHERE p.ts >= $since AND p.ts < $until AND p.ts <= $now
GROUP BY GROUPING SETS ({{grouping_sets}})
ORDER BY is_total, day, grp
