-- name: notify_get
-- Notifications by id with their alert as it is now, in order.
-- params: ids
-- returns: notification_id, route, model, alert_id, fingerprint, event, event_id, body, state, created_at, attempts, alert_state, check_name, kind, feature, slice, severity, first_seen, last_seen, count, value, worst_value, threshold, detail, resolved_at, resolved_by, acked_at, acked_by
SELECT n.notification_id, n.route, n.model, n.alert_id, n.fingerprint, n.event, n.event_id,
       n.body, n.state, n.created_at, n.attempts, a.state AS alert_state, a.check_name,
       a.kind, a.feature, a.slice, a.severity, a.first_seen, a.last_seen, a.count, a.value,
       a.worst_value, a.threshold, a.detail, a.resolved_at, a.resolved_by, a.acked_at,
       a.acked_by
FROM notifications n LEFT JOIN alerts a USING (alert_id)
WHERE list_contains($ids, n.notification_id)
ORDER BY n.notification_id
