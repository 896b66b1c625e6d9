-- name: alert_set_ack
-- Records who acknowledged an alert and when.
-- params: alert_id, at, actor
-- returns: (nothing)
UPDATE alerts SET acked_at = $at, acked_by = $actor WHERE alert_id = $alert_id
