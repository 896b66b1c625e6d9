-- name: notify_get
-- Notifications by id, in order, each with its alert's row as it is now (all NULL for
-- a test or a handoff).
-- params: ids
-- returns: notification_id, route, event, body, queued_at, attempts, (every column of alerts)
SELECT n.notification_id, n.route, n.event, n.body, n.created_at AS queued_at, n.attempts,
       a.*
FROM notifications n LEFT JOIN alerts a ON a.alert_id = n.alert_id
WHERE list_contains($ids, n.notification_id)
ORDER BY n.notification_id
