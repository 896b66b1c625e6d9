-- name: stage_count
-- How many rows the staged file holds.
-- params: (none)
-- returns: n
SELECT count(*) AS n FROM stage
