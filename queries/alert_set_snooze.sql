-- name: alert_set_snooze
-- Snoozes an alert until a time.
-- params: alert_id, until
-- returns: (nothing)
UPDATE alerts SET snoozed_until = $until WHERE alert_id = $alert_id
