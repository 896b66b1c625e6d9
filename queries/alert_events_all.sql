-- name: alert_events_all
-- Every alert event by a person, with the alert (for what veterans did).
-- params: (none)
-- returns: alert_id, acted_at, actor, action, detail
SELECT alert_id, acted_at, actor, action, detail FROM alert_events
WHERE actor <> 'oncall' ORDER BY acted_at, event_id
