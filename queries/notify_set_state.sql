-- name: notify_set_state
-- Moves notifications that are still in state `from_state` to another state, saying why.
-- params: ids, from_state, state, reason
-- returns: notification_id
UPDATE notifications SET state = $state, reason = $reason
WHERE list_contains($ids, notification_id) AND state = $from_state
RETURNING notification_id
