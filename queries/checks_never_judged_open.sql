-- name: checks_never_judged_open
-- The model's stored never_judged findings that are warnings (the checks said to be
-- never judged), to turn to pass once their check is judged.
-- params: model
-- returns: fingerprint, check_name, window_start, window_end, detail
SELECT fingerprint, check_name, window_start, window_end, detail
FROM check_results
WHERE model = $model AND kind = 'never_judged' AND status = 'warning'
ORDER BY check_name
