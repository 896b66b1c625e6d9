-- name: alert_events_between
-- Alert events by people (not the system) in [start, end), with their alerts.
-- params: start, end
-- returns: event_id, alert_id, acted_at, actor, action, detail, model, kind, feature, slice
SELECT e.event_id, e.alert_id, e.acted_at, e.actor, e.action, e.detail,
       a.model, a.kind, a.feature, a.slice
FROM alert_events e JOIN alerts a USING (alert_id)
WHERE e.acted_at >= $start AND e.acted_at < $end AND e.actor <> 'oncall'
ORDER BY e.acted_at, e.event_id
