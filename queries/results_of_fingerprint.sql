-- name: results_of_fingerprint
-- The latest results of one measurement, newest first (an alert's metric over time).
-- params: fingerprint, limit
-- returns: window_start, window_end, value, threshold, status, n, detail
SELECT window_start, window_end, value, threshold, status, n, detail FROM check_results
WHERE fingerprint = $fingerprint ORDER BY window_start DESC LIMIT $limit
