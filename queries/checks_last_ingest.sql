-- name: checks_last_ingest
-- The id of the last ingest of any kind (0 before the first).
-- params: (none)
-- returns: ingest_id
SELECT coalesce(max(ingest_id), 0) AS ingest_id FROM ingest_log
