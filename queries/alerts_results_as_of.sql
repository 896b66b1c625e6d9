-- name: alerts_results_as_of
-- Per alert, its episode's failing windows known by a moment: how many, the latest one
-- (when it became known and its value), the worst value and whether any was critical.
-- params: ids, as_of
-- returns: alert_id, n, last_seen, value, low, high, critical
SELECT a.alert_id, count(*) AS n, max(r.known_at) AS last_seen,
       arg_max(r.value, r.window_start) AS value, min(r.value) AS low, max(r.value) AS high,
       bool_or(r.status = 'critical') AS critical
FROM alerts a
JOIN check_results r
  ON r.fingerprint = a.fingerprint
 AND r.window_start >= a.first_window_start
 AND r.known_at <= a.last_seen
WHERE a.alert_id IN (SELECT unnest($ids))
  AND r.known_at <= $as_of
  AND r.status IN ('warning', 'critical')
GROUP BY a.alert_id
