-- name: results_of_episode
-- One measurement's results over a span, as they were known at a moment (an alert's
-- episode with margins, as of when it is viewed), in window order.
-- params: fingerprint, start, end, as_of, limit
-- returns: window_start, window_end, value, threshold, status, n, detail
SELECT window_start, window_end, value, threshold, status, n, detail FROM check_results
WHERE fingerprint = $fingerprint
  AND window_start >= $start AND window_start < $end
  AND known_at <= $as_of
ORDER BY window_start
LIMIT $limit
