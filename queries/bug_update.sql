-- name: bug_update
-- Writes a bug's new state, only if it is still at the version the change was made on.
-- params: bug_id, expected, title, description, priority, tags, status, duplicate_of, assignee, root_cause, mitigation, mitigation_note, at
-- returns: version
UPDATE bugs SET title = $title, description = $description, priority = $priority,
    tags = $tags, status = $status, duplicate_of = $duplicate_of, assignee = $assignee,
    root_cause = $root_cause, mitigation = $mitigation, mitigation_note = $mitigation_note,
    updated_at = $at, version = version + 1
WHERE bug_id = $bug_id AND version = $expected
RETURNING version
