-- name: chain_bug_events
-- Bug events after an id, in order, with the columns the chain hashes.
-- params: after
-- returns: event_id, bug_id, acted_at, actor, action, detail, version
SELECT event_id, bug_id, acted_at, actor, action, detail, version
FROM bug_events WHERE event_id > $after ORDER BY event_id
