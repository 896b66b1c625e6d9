-- name: silence_expire
-- Ends a silence now.
-- params: silence_id, at, actor
-- returns: (nothing)
UPDATE silences SET expired_at = $at, expired_by = $actor
WHERE silence_id = $silence_id AND expired_at IS NULL
