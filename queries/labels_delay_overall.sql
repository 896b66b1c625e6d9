-- name: labels_delay_overall
-- Delay percentiles in hours over all labelled predictions in the window, and the
-- overdue rows (older than the expected delay, still unlabelled) per optional slice.
-- params: model, since, until, now, expected
-- fragments: table, group_select, group_by
-- returns: group column, n, labeled, p50_hours, p90_hours, p99_hours, overdue
SELECT {{group_select}} count(*) AS n, count(l.prediction_id) AS labeled,
       quantile_cont(epoch(l.labeled_at - p.ts) / 3600, 0.5) AS p50_hours,
       quantile_cont(epoch(l.labeled_at - p.ts) / 3600, 0.9) AS p90_hours,
       quantile_cont(epoch(l.labeled_at - p.ts) / 3600, 0.99) AS p99_hours,
       count(*) FILTER (WHERE l.prediction_id IS NULL
                        AND p.ts <= $now - to_seconds($expected)) AS overdue
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
WHERE p.ts >= $since AND p.ts < $until AND p.ts <= $now
GROUP BY {{group_by}}
ORDER BY ALL
