-- name: alert_insert
-- Opens an alert for a new episode.
-- params: fingerprint, model, check_name, kind, feature, slice, severity, state, first_window_start, first_seen, last_seen, count, value, worst_value, threshold, detail, resolved_at, created_at
-- returns: alert_id
INSERT INTO alerts (
    alert_id, fingerprint, model, check_name, kind, feature, slice, severity, state,
    first_window_start, first_seen, last_seen, count, value, worst_value, threshold, detail,
    resolved_at, created_at
) VALUES (
    nextval('alert_seq'), $fingerprint, $model, $check_name, $kind, $feature, $slice,
    $severity, $state, $first_window_start, $first_seen, $last_seen, $count, $value,
    $worst_value, $threshold, $detail, $resolved_at, $created_at
)
RETURNING alert_id
