-- name: bug_events_since
-- Changes to a bug after a version (to name them in a conflict).
-- params: bug_id, version
-- returns: acted_at, actor, action, detail, version
SELECT acted_at, actor, action, detail, version FROM bug_events
WHERE bug_id = $bug_id AND version > $version ORDER BY event_id
