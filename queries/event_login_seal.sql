-- name: event_login_seal
-- Seals an event's login row so UPDATE and DELETE of it fail.
-- params: kind, event_id
-- returns: (nothing)
INSERT INTO event_logins_seal SELECT * FROM event_logins WHERE kind = $kind AND event_id = $event_id
