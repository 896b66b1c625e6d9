-- name: alerts_of_fingerprints
-- Stored alerts of the given fingerprints.
-- params: model, fingerprints
-- returns: alert_id, fingerprint, first_window_start, first_seen, last_seen, count, severity, state, value, worst_value, resolved_at, resolved_by, detail
SELECT alert_id, fingerprint, first_window_start, first_seen, last_seen, count, severity,
       state, value, worst_value, resolved_at, resolved_by, detail
FROM alerts
WHERE model = $model AND fingerprint IN (SELECT unnest($fingerprints))
ORDER BY fingerprint, first_window_start
