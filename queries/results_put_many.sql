-- name: results_put_many
-- Stores a batch of results registered as the relation `new_results`, replacing
-- earlier evaluations of the same windows.
-- params: (none)
-- returns: (nothing)
INSERT OR REPLACE INTO check_results BY NAME SELECT * FROM new_results
