-- name: stage_seen_drop
-- Drops the ids of a multi-file ingest once it is merged.
-- params: (none)
-- returns: (nothing)
DROP TABLE IF EXISTS stage_seen
