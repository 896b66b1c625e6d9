-- name: alert_set_mark
-- Marks an alert as noise or actionable.
-- params: alert_id, mark, actor
-- returns: (nothing)
UPDATE alerts SET marked = $mark, marked_by = $actor WHERE alert_id = $alert_id
