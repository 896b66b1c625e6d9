-- name: alert_event_insert
-- Appends an event to an alert's history and seals it (the seal makes it immutable).
-- params: alert_id, acted_at, actor, action, detail
-- returns: event_id
INSERT INTO alert_events
VALUES (nextval('alert_event_seq'), $alert_id, $acted_at, $actor, $action, $detail)
RETURNING event_id
