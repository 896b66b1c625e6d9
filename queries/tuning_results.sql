-- name: tuning_results
-- The stored result series of one alert type (model, kind, feature; every slice), from
-- `since` on, in window order: what a back-test replays against candidate thresholds.
-- params: model, kind, feature, since
-- returns: fingerprint, check_name, kind, feature, slice, window_start, window_end, known_at, value, threshold, status, n, detail
SELECT fingerprint, check_name, kind, feature, slice, window_start, window_end, known_at,
       value, threshold, status, n, detail
FROM check_results
WHERE model = $model AND kind = $kind
  AND feature IS NOT DISTINCT FROM $feature
  AND window_start >= $since
ORDER BY fingerprint, window_start
