-- name: stage_drop
-- Drops the temporary staging tables once a file is merged.
-- params: (none)
-- returns: (nothing)
DROP TABLE IF EXISTS stage
