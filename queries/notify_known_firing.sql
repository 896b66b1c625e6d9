-- name: notify_known_firing
-- Per route and alert: what the route was last told (of what was sent), when, and
-- the alert as it is now; only alerts the route was last told are firing (the alert
-- itself may have ended since: its resolve is then on its way).
-- params: (none)
-- returns: route, alert_id, model, fingerprint, last_event, last_sent_at, alert_state, acked_at, snoozed_until, check_name, kind, feature, slice, severity
WITH told AS (
    SELECT route, alert_id, arg_max(event, notification_id) AS last_event,
           max(sent_at) AS last_sent_at
    FROM notifications
    WHERE state = 'sent' AND alert_id IS NOT NULL
    GROUP BY route, alert_id
)
SELECT t.route, t.alert_id, a.model, a.fingerprint, t.last_event, t.last_sent_at,
       a.state AS alert_state, a.acked_at, a.snoozed_until, a.check_name, a.kind,
       a.feature, a.slice, a.severity
FROM told t JOIN alerts a USING (alert_id)
WHERE t.last_event IN ('trigger', 'escalate', 'repeat')
ORDER BY t.route, t.alert_id
