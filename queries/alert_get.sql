-- name: alert_get
-- One alert by id.
-- params: alert_id
-- returns: every column of alerts
SELECT * FROM alerts WHERE alert_id = $alert_id
