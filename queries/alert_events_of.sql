-- name: alert_events_of
-- Every event of the given alerts up to a moment, in order (to see them as they were).
-- params: ids, as_of
-- returns: alert_id, acted_at, actor, action, detail
SELECT alert_id, acted_at, actor, action, detail FROM alert_events
WHERE alert_id IN (SELECT unnest($ids)) AND acted_at <= $as_of
ORDER BY alert_id, acted_at, event_id
