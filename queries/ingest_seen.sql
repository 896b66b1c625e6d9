-- name: ingest_seen
-- An earlier ingest of the same file content into the same model and kind.
-- params: model, kind, sha256
-- returns: ingest_id, rows_in_file, ingested_at
SELECT ingest_id, rows_in_file, ingested_at FROM ingest_log
WHERE model = $model AND kind = $kind AND sha256 = $sha256
ORDER BY ingest_id LIMIT 1
