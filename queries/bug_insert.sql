-- name: bug_insert
-- Files a new bug (version 1).
-- params: title, description, model, priority, tags, status, assignee, reporter, root_cause, mitigation, mitigation_note, at
-- returns: bug_id
INSERT INTO bugs VALUES (
    nextval('bug_seq'), $title, $description, $model, $priority, $tags, $status, NULL,
    $assignee, $reporter, $root_cause, $mitigation, $mitigation_note, $at, $at, 1
)
RETURNING bug_id
