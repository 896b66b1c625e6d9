-- name: alert_events
-- An alert's history, oldest first.
-- params: alert_id
-- returns: event_id, acted_at, actor, action, detail
SELECT event_id, acted_at, actor, action, detail FROM alert_events
WHERE alert_id = $alert_id ORDER BY acted_at, event_id
