-- name: results_volume_history
-- Row counts of earlier windows, from stored volume results.
-- params: model, start, end
-- returns: window_start, n
SELECT window_start, n FROM check_results
WHERE model = $model AND kind = 'volume' AND window_start >= $start AND window_start < $end
  AND n IS NOT NULL
