-- name: bug_link_insert
-- Links a bug to an alert, a prediction, a slice and window, or another bug.
-- params: bug_id, kind, target, window_start, window_end, at, actor
-- returns: (nothing)
INSERT INTO bug_links VALUES ($bug_id, $kind, $target, $window_start, $window_end, $at, $actor)
