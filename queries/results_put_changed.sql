-- name: results_put_changed
-- Stores the rows of the registered relation `new_results` whose row number `idx` is in
-- $changed, replacing earlier evaluations of the same windows.
-- params: changed
-- returns: (nothing)
INSERT OR REPLACE INTO check_results BY NAME
SELECT * EXCLUDE (idx) FROM new_results WHERE list_contains($changed, idx)
