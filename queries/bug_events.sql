-- name: bug_events
-- A bug's history, oldest first.
-- params: bug_id
-- returns: event_id, acted_at, actor, action, detail, version
SELECT event_id, acted_at, actor, action, detail, version FROM bug_events
WHERE bug_id = $bug_id ORDER BY event_id
