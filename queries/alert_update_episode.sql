-- name: alert_update_episode
-- Updates an alert from its episode: how long and how often it fired, how bad it got.
-- params: alert_id, severity, state, last_seen, count, value, worst_value, detail, resolved_at
-- returns: (nothing)
UPDATE alerts SET severity = $severity, state = $state, last_seen = $last_seen,
    count = $count, value = $value, worst_value = $worst_value, detail = $detail,
    resolved_at = $resolved_at
WHERE alert_id = $alert_id
