-- name: shadow_session_insert
-- Starts a shadow session.
-- params: trainee, kind, shift_id, scenario, at
-- returns: session_id
INSERT INTO shadow_sessions (session_id, trainee, kind, shift_id, scenario, started_at)
VALUES (nextval('shadow_session_seq'), $trainee, $kind, $shift_id, $scenario, $at)
RETURNING session_id
