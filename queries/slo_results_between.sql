-- name: slo_results_between
-- The SLO results of windows ending in (start, end], latest window per SLO and slice.
-- params: start, end
-- returns: model, check_name, slice, window_start, value, threshold, status
SELECT model, check_name, slice, arg_max(window_start, window_start) AS window_start,
       arg_max(value, window_start) AS value, arg_max(threshold, window_start) AS threshold,
       arg_max(status, window_start) AS status
FROM check_results
WHERE kind = 'slo' AND window_end > $start AND window_end <= $end
GROUP BY model, check_name, slice
ORDER BY model, check_name, slice
