-- name: alerts_changed_after
-- The alerts something happened to after a moment (an event, or a failing window known
-- later): as of that moment they looked otherwise than they do now.
-- params: as_of
-- returns: alert_id
SELECT DISTINCT alert_id FROM alert_events WHERE acted_at > $as_of
UNION
SELECT alert_id FROM alerts WHERE last_seen > $as_of
