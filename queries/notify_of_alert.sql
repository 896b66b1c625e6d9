-- name: notify_of_alert
-- Every notification about one alert, oldest first.
-- params: alert_id
-- returns: notification_id, route, event, state
SELECT notification_id, route, event, state
FROM notifications WHERE alert_id = $alert_id ORDER BY notification_id
