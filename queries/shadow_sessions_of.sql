-- name: shadow_sessions_of
-- A trainee's scored sessions, oldest first.
-- params: trainee
-- returns: session_id, kind, shift_id, scenario, started_at, scored_at, score
SELECT session_id, kind, shift_id, scenario, started_at, scored_at, score
FROM shadow_sessions WHERE trainee = $trainee AND score IS NOT NULL
ORDER BY scored_at, session_id
