-- name: results_existing
-- Stored results of a model in [start, end) (to write only what changed).
-- params: model, start, end
-- returns: fingerprint, window_start, value, status, detail
SELECT fingerprint, window_start, value, status, detail FROM check_results
WHERE model = $model AND window_start >= $start AND window_start < $end
