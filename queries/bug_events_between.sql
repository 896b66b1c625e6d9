-- name: bug_events_between
-- Bug events in [start, end), with their bugs.
-- params: start, end
-- returns: event_id, bug_id, acted_at, actor, action, detail, title, status, model
SELECT e.event_id, e.bug_id, e.acted_at, e.actor, e.action, e.detail, b.title, b.status, b.model
FROM bug_events e JOIN bugs b USING (bug_id)
WHERE e.acted_at >= $start AND e.acted_at < $end
ORDER BY e.acted_at, e.event_id
