-- name: bug_get
-- One bug by id.
-- params: bug_id
-- returns: every column of bugs
SELECT * FROM bugs WHERE bug_id = $bug_id
