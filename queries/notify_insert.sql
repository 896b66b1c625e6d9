-- name: notify_insert
-- Queues one notification for a route.
-- params: route, model, alert_id, fingerprint, event, event_id, body, state, reason, created_at
-- returns: notification_id
INSERT INTO notifications
VALUES (nextval('notify_seq'), $route, $model, $alert_id, $fingerprint, $event, $event_id,
        $body, $state, $reason, $created_at, NULL, 0, NULL, NULL, NULL, NULL)
RETURNING notification_id
