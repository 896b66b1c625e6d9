-- name: ingest_next_id
-- A fresh ingest id.
-- params: (none)
-- returns: ingest_id
SELECT nextval('ingest_seq') AS ingest_id
