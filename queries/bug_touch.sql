-- name: bug_touch
-- Bumps a bug's version for a comment or a link (its fields stay).
-- params: bug_id, at
-- returns: version
UPDATE bugs SET updated_at = $at, version = version + 1 WHERE bug_id = $bug_id
RETURNING version
