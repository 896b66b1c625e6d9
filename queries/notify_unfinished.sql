-- name: notify_unfinished
-- Notifications still to send, being sent or held back, with their alert as it is now.
-- params: (none)
-- returns: notification_id, route, model, alert_id, fingerprint, event, state, created_at, next_attempt_at, attempts, claimed_by, claimed_at, alert_state, alert_model, check_name, kind, feature, slice, severity, acked_at, snoozed_until
SELECT n.notification_id, n.route, n.model, n.alert_id, n.fingerprint, n.event, n.state,
       n.created_at, n.next_attempt_at, n.attempts, n.claimed_by, n.claimed_at,
       a.state AS alert_state, a.model AS alert_model, a.check_name, a.kind, a.feature,
       a.slice, a.severity, a.acked_at, a.snoozed_until
FROM notifications n LEFT JOIN alerts a USING (alert_id)
WHERE n.state IN ('pending', 'sending', 'held')
ORDER BY n.notification_id
