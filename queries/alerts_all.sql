-- name: alerts_all
-- Alerts with optional model and kind filters, newest first.
-- params: model, kind
-- returns: every column of alerts
SELECT * FROM alerts
WHERE ($model IS NULL OR model = $model) AND ($kind IS NULL OR kind = $kind)
ORDER BY last_seen DESC, alert_id DESC
