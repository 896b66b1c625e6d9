-- name: notify_list
-- Notifications, newest first, optionally of one state and one route.
-- params: state, route, limit
-- returns: notification_id, route, model, alert_id, fingerprint, event, state, reason, created_at, next_attempt_at, attempts, sent_at, status_code
SELECT notification_id, route, model, alert_id, fingerprint, event, state, reason,
       created_at, next_attempt_at, attempts, sent_at, status_code
FROM notifications
WHERE ($state IS NULL OR state = $state) AND ($route IS NULL OR route = $route)
ORDER BY notification_id DESC
LIMIT $limit
