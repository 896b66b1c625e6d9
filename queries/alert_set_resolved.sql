-- name: alert_set_resolved
-- Resolves an alert by hand.
-- params: alert_id, at, actor
-- returns: (nothing)
UPDATE alerts SET state = 'resolved', resolved_at = $at, resolved_by = $actor
WHERE alert_id = $alert_id
