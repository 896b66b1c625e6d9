-- name: notify_finish
-- Records how an attempt ended (sent, pending again, or failed) for what this sender claimed.
-- params: ids, claimed_by, state, reason, status_code, sent_at, next_attempt_at
-- returns: notification_id
UPDATE notifications
SET state = $state, reason = $reason, status_code = $status_code, sent_at = $sent_at,
    next_attempt_at = $next_attempt_at, claimed_by = NULL
WHERE list_contains($ids, notification_id) AND state = 'sending' AND claimed_by = $claimed_by
RETURNING notification_id
