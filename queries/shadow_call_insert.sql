-- name: shadow_call_insert
-- Records a trainee's call on an alert.
-- params: session_id, alert_id, call, note, at, seconds
-- returns: (nothing)
INSERT INTO shadow_calls VALUES ($session_id, $alert_id, $call, $note, $at, $seconds)
