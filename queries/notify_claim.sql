-- name: notify_claim
-- Takes pending notifications for sending (only those still pending: a second sender
-- gets none of them), counting the attempt.
-- params: ids, claimed_by, at
-- returns: notification_id
UPDATE notifications
SET state = 'sending', claimed_by = $claimed_by, claimed_at = $at, attempts = attempts + 1
WHERE list_contains($ids, notification_id) AND state = 'pending'
RETURNING notification_id
