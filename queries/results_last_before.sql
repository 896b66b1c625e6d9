-- name: results_last_before
-- The latest stored result of each given fingerprint whose window starts before a
-- time: the state a check carries from one window to the next (a vanished value stays
-- vanished until it recovers), so a run picks up where the last one stopped.
-- params: model, fingerprints, before
-- returns: fingerprint, window_start, status, detail
SELECT fingerprint, window_start, status, detail FROM check_results
WHERE model = $model AND fingerprint IN (SELECT unnest($fingerprints))
  AND window_start < $before
QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY window_start DESC) = 1
