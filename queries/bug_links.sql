-- name: bug_links
-- A bug's links.
-- params: bug_id
-- returns: kind, target, window_start, window_end, created_at, created_by
SELECT kind, target, window_start, window_end, created_at, created_by FROM bug_links
WHERE bug_id = $bug_id ORDER BY created_at, kind, target
