-- name: shadow_calls_of
-- The calls of a session.
-- params: session_id
-- returns: alert_id, call, note, called_at, decision_seconds
SELECT alert_id, call, note, called_at, decision_seconds FROM shadow_calls
WHERE session_id = $session_id ORDER BY called_at
