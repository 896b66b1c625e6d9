-- name: notify_new_events
-- Alert events after the cursor that notifications tell of, with their alert as it is now.
-- params: after
-- returns: event_id, action, acted_at, actor, event_detail, alert_id, fingerprint, model, check_name, kind, feature, slice, severity, state, acked_at, snoozed_until
SELECT e.event_id, e.action, e.acted_at, e.actor, e.detail AS event_detail,
       a.alert_id, a.fingerprint, a.model, a.check_name, a.kind, a.feature, a.slice,
       a.severity, a.state, a.acked_at, a.snoozed_until
FROM alert_events e JOIN alerts a USING (alert_id)
WHERE e.event_id > $after
  AND e.action IN ('opened', 'reopened', 'escalated', 'ack', 'resolve', 'resolved', 'retracted')
ORDER BY e.event_id
