-- name: bug_event_seal
-- Seals a bug event so UPDATE and DELETE of it fail.
-- params: event_id
-- returns: (nothing)
INSERT INTO bug_events_seal SELECT * FROM bug_events WHERE event_id = $event_id
