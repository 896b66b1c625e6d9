-- name: alert_event_seal
-- Seals an event: a row referencing every column, so UPDATE and DELETE fail.
-- params: event_id
-- returns: (nothing)
INSERT INTO alert_events_seal SELECT * FROM alert_events WHERE event_id = $event_id
