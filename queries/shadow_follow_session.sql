-- name: shadow_follow_session
-- A trainee's follow session on a live primary shift, if they started one.
-- params: trainee, shift_id
-- returns: session_id
SELECT session_id FROM shadow_sessions
WHERE trainee = $trainee AND kind = 'follow' AND shift_id = $shift_id
ORDER BY session_id DESC LIMIT 1
