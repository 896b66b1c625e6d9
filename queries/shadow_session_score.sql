-- name: shadow_session_score
-- Stores a session's score.
-- params: session_id, score, at
-- returns: (nothing)
UPDATE shadow_sessions SET score = $score, scored_at = $at WHERE session_id = $session_id
