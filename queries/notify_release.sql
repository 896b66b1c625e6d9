-- name: notify_release
-- Puts back to pending what a sender that is gone (killed mid-send) had claimed.
-- params: ids, claimed_by
-- returns: notification_id
UPDATE notifications SET state = 'pending', claimed_by = NULL,
       reason = 'the sender stopped mid-send; sent again'
WHERE list_contains($ids, notification_id) AND state = 'sending' AND claimed_by = $claimed_by
RETURNING notification_id
