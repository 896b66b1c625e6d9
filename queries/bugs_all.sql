-- name: bugs_all
-- Bugs with optional filters.
-- params: model, assignee
-- returns: every column of bugs
SELECT * FROM bugs
WHERE ($model IS NULL OR model = $model) AND ($assignee IS NULL OR assignee = $assignee)
ORDER BY priority, updated_at DESC, bug_id
