-- name: tuning_types
-- The alert types (model, kind, feature) that have results from `since` on, with how
-- many windows were judged and the span they cover.
-- params: since
-- returns: model, kind, feature, windows, first_window, last_window
SELECT model, kind, feature,
       count(*) FILTER (WHERE status <> 'insufficient') AS windows,
       min(window_start) AS first_window, max(window_end) AS last_window
FROM check_results
WHERE window_start >= $since
GROUP BY model, kind, feature
ORDER BY model, kind, feature NULLS FIRST
