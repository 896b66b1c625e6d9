-- name: bug_event_insert
-- Appends an event to a bug's history.
-- params: bug_id, acted_at, actor, action, detail, version
-- returns: event_id
INSERT INTO bug_events
VALUES (nextval('bug_event_seq'), $bug_id, $acted_at, $actor, $action, $detail, $version)
RETURNING event_id
