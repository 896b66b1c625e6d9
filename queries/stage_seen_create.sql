-- name: stage_seen_create
-- The ids already staged by the earlier files of one multi-file ingest (a folder, a
-- Hive tree, a pattern), with the number of the file each came from.
-- params: (none)
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage_seen (prediction_id VARCHAR, part INTEGER)
