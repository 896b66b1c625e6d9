-- name: stage_seen_add
-- Records the ids of the staged file, the `part`-th of a multi-file ingest.
-- params: part
-- returns: (nothing)
INSERT INTO stage_seen SELECT prediction_id, $part FROM stage
