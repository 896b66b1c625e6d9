-- name: event_login_insert
-- Records the OS login beside an alert or bug event (append-only; sealed next).
-- params: kind, event_id, login
-- returns: (nothing)
INSERT INTO event_logins VALUES ($kind, $event_id, $login)
