-- name: chain_alert_events
-- Alert events after an id, in order, with the columns the chain hashes.
-- params: after
-- returns: event_id, alert_id, acted_at, actor, action, detail
SELECT event_id, alert_id, acted_at, actor, action, detail
FROM alert_events WHERE event_id > $after ORDER BY event_id
