-- name: bugs_linked_to_alert
-- The bugs linked to an alert.
-- params: alert_id
-- returns: bug_id, title, status, root_cause
SELECT b.bug_id, b.title, b.status, b.root_cause
FROM bug_links k JOIN bugs b ON b.bug_id = k.bug_id
WHERE k.kind = 'alert' AND k.target = CAST($alert_id AS VARCHAR)
ORDER BY b.bug_id
