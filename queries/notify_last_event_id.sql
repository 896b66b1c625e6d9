-- name: notify_last_event_id
-- The newest alert event (the notification cursor moves up to it).
-- params: (none)
-- returns: last_event_id
SELECT coalesce(max(event_id), 0) AS last_event_id FROM alert_events
