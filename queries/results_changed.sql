-- name: results_changed
-- The rows of the registered relation `new_results` (with a row number `idx`) that are
-- not stored yet or differ from the stored evaluation of the same window: another
-- status or detail, or a value more than 1e-9 relative (1e-12 absolute) away. A NaN
-- value always counts as changed, as Python's math.isclose says.
-- params: model, start, end
-- returns: idx
SELECT n.idx FROM new_results n
LEFT JOIN (
    SELECT fingerprint, window_start, value, status, detail FROM check_results
    WHERE model = $model AND window_start >= $start AND window_start < $end
) o ON o.fingerprint = n.fingerprint AND o.window_start = n.window_start
WHERE o.fingerprint IS NULL
   OR o.status IS DISTINCT FROM n.status
   OR o.detail IS DISTINCT FROM n.detail
   OR NOT coalesce(
        (o.value IS NULL AND n.value IS NULL)
        OR (NOT isnan(o.value) AND NOT isnan(n.value) AND abs(o.value - n.value)
            <= greatest(1e-9 * greatest(abs(o.value), abs(n.value)), 1e-12)),
        false)
ORDER BY n.idx
