-- name: alerts_series
-- The full result series of the given fingerprints that ever failed or have an alert,
-- in window order (the input to episode tracking).
-- params: model, fingerprints
-- returns: fingerprint, check_name, kind, feature, slice, window_start, window_end, known_at, value, threshold, status, detail
SELECT fingerprint, check_name, kind, feature, slice, window_start, window_end, known_at, value,
       threshold, status, detail
FROM check_results
WHERE model = $model
  AND fingerprint IN (SELECT unnest($fingerprints))
  AND fingerprint IN (
      SELECT fingerprint FROM check_results
      WHERE model = $model AND status IN ('warning', 'critical')
      UNION SELECT fingerprint FROM alerts WHERE model = $model
  )
ORDER BY fingerprint, window_start
